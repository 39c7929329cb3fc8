import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI descriptions of the bodies; the owning shard node validates them (one place, stable codes). */
export class CreateSessionDto {
  @ApiPropertyOptional({ description: 'Your user id, for per-user behaviour profiles', maxLength: 256 })
  userId?: string;

  @ApiPropertyOptional({ description: 'Initial variables by state group', example: { cart: { items: [] }, settings: { theme: 'dark' } } })
  data?: Record<string, Record<string, unknown>>;

  @ApiPropertyOptional({ description: 'Idle timeout in ms (capped by the server default)' })
  idleTimeoutMs?: number;

  @ApiPropertyOptional({ description: 'Absolute lifetime in ms (capped by the server default)' })
  absoluteTimeoutMs?: number;
}

export class PutVariableDto {
  @ApiProperty({ description: 'Any JSON value (≤ SESSION_MAX_VARIABLE_BYTES as JSON)', example: { sku: 'A-1', qty: 2 } })
  value!: unknown;

  @ApiPropertyOptional({ description: 'Write only if the session is at this version (optimistic concurrency)' })
  expectedVersion?: number;
}

export class PatchVariableDto {
  @ApiProperty({ description: 'JSON Merge Patch (RFC 7396) applied to the current value', example: { qty: 3 } })
  patch!: unknown;

  @ApiPropertyOptional({ description: 'Write only if the session is at this version' })
  expectedVersion?: number;
}

export class RecordActionDto {
  @ApiProperty({ description: 'What the user did: 1–128 characters from letters, digits and _ . : / -', example: 'view_product:42' })
  action!: string;
}
