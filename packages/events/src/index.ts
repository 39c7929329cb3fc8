export * from './events.js';
export { decodeEvent, encodeEvent, envelopeProblem, type Decoded, type ProblemKind } from './decode.js';
export { RejectEvent, subscribe, type Subscription } from './consumer.js';
export { iterate, type EventIterator, type IterateOptions } from './iterate.js';
export { connectSubscriber, type SubscriberConnectionOptions } from './connect.js';
export type { ConsumerProblem, ConsumerStats, Delivery, Handler, Handlers, StartAt, SubscribeOptions } from './options.js';
