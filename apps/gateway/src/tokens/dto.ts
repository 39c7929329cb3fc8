import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class IssueTokensDto {
  @ApiPropertyOptional({ description: "The signed-in user; defaults to the session's userId (they must match if both are set)", maxLength: 256 })
  userId?: string;
}

export class RefreshTokensDto {
  @ApiProperty({ description: 'The refresh token of the pair you hold (43 base64url characters)' })
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty({ example: 'Bearer' }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'EdDSA JWT: sub (user), sid (session), jti, iat, exp, iss, aud' }) accessToken!: string;
  @ApiProperty() accessExpiresAt!: string;
  @ApiProperty({ description: 'Opaque, single use: each refresh returns a new one' }) refreshToken!: string;
  @ApiProperty() refreshExpiresAt!: string;
  @ApiProperty({ description: 'Generation of the token family (0 at sign-in, +1 per rotation)' }) generation!: number;
}
