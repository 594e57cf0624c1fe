export { extractCandidates, termOverlap, topicTerms, type ExtractOptions } from './rules.js';
