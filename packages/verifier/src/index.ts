export { judge, snapshot, printedTolerance, type PageSnapshot, type Reason } from './judge.js';
