export { BinaryHeap, type Less } from './binary-heap';
export { IndexedHeap } from './indexed-heap';
