import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI descriptions of the bodies; the shard nodes validate them (one place, stable codes). */
export class PrefetchDto {
  @ApiProperty({ description: 'The action whose data to prefetch, as recorded (letters, digits, _ . : / -)', example: 'view_product:42' })
  action!: string;

  @ApiPropertyOptional({ description: 'Values for key-template placeholders the action does not bind (flat map)', example: { userId: 'u7' } })
  context?: Record<string, string | number>;
}

export class RequirementDto {
  @ApiProperty({ description: 'Action pattern; {name} matches one segment (no ":" or "/")', example: 'view_product:{id}' })
  pattern!: string;

  @ApiProperty({ description: 'Key templates filled from the pattern and the session context; [] removes the declaration', example: ['product:{id}', 'reviews:{id}'] })
  keys!: string[];
}

export class InvalidateDto {
  @ApiPropertyOptional({ description: 'Keys that changed (1–1000)', example: ['product:42'] })
  keys?: string[];

  @ApiPropertyOptional({ description: 'Or a key pattern ("*" matches one or more characters)', example: 'product:*' })
  pattern?: string;
}
