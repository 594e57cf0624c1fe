// @stats-agent/cache: TTL caches of JSON values, in memory or shared in Redis.
export { connectRedis, createCache, openCache, storedKey, type Cache, type CacheOptions } from './cache.js';
