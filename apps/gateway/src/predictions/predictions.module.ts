import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../common/api-key.guard';
import { PredictionsController } from './predictions.controller';

/** Gateway routes of the prediction service (issue 3). */
@Module({
  controllers: [PredictionsController],
  providers: [ApiKeyGuard],
})
export class PredictionsModule {}
