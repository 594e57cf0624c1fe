export { judge, snapshot, precisionOf, type PageSnapshot, type Reason } from './judge.js';
