/**
 * Worker-thread entry for RNN training (started by {@link trainInWorker}). It receives one
 * {@link TrainRequest}, trains with its own TensorFlow.js backend, replies, and exits.
 */
import { parentPort } from 'node:worker_threads';
import { runTrainRequest, type TrainRequest } from './worker-protocol';

if (parentPort !== null) {
  const port = parentPort;
  port.once('message', (request: TrainRequest) => {
    void runTrainRequest(request, (reply, transfer) => port.postMessage(reply, transfer)).finally(() => port.close());
  });
}
