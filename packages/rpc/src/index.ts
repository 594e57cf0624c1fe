export { authorizationInterceptor, checkCaller, type MethodPolicy, type CallerCheck } from './authz.js';
export { observabilityInterceptor } from './observe.js';
export { unary, zodMessage, type CallContext, type UnaryHandler } from './handler.js';
export { createAgentServer, bindMtls, drainServer, type AgentServerOptions } from './server.js';
export { createAgentClient, callUnary, type AgentClientOptions, type CallSettings } from './client.js';
export { HealthService, isServing, type ServingStatus } from './health.js';
export { RpcError, invalidArgument, isGrpcCallError, statusName, type GrpcCallError } from './errors.js';
export { REQUEST_ID_KEY, requestIdFrom, metadataWithRequestId } from './metadata.js';
export { startAgent, observeSvid, type StartAgentOptions, type RunningAgent, type AgentConfig } from './agent.js';
