import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module';
import { PredictionsController } from './predictions.controller';

/** Gateway routes of the prediction service (issue 3). */
@Module({
  controllers: [PredictionsController],
  imports: [TokensModule],
})
export class PredictionsModule {}
