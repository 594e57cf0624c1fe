export { judge, snapshot, precisionOf, sourceFailureReason, type PageSnapshot, type Reason } from './judge.js';
