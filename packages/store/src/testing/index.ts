// @stats-agent/store/testing: a throw-away PostgreSQL server for tests, e2e runs and CI.
export { startPostgres, postgresForTests, findPostgresBin, reapOrphanedServers, type TestPostgres, type StartPostgresOptions } from './postgres.js';
