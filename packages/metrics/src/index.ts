export { createMetrics, type ServiceMetrics } from './metrics.js';
export { startAdminServer, type AdminServer, type AdminServerOptions, type ReadinessCheck, type ReadinessReport } from './admin-server.js';
