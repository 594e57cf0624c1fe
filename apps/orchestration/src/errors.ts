import { status } from '@grpc/grpc-js';
import { isGrpcCallError, statusName } from '@stats-agent/rpc';

export type AgentName = 'research' | 'synthesis' | 'verification';

/** An HTTP error with a stable code and a message safe to show a client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }
}

/**
 * Maps a failed agent call to what the client sees: the agent is named, the cause is not
 * (no internal addresses): down → 503, too slow → 504, refused us → 502.
 */
export function agentFailure(agent: AgentName, err: unknown): HttpError {
  if (!isGrpcCallError(err)) {
    return new HttpError(502, 'agent_error', `the ${agent} agent call failed`, { cause: err });
  }
  switch (err.code) {
    case status.UNAVAILABLE:
      return new HttpError(503, 'agent_unavailable', `the ${agent} agent is unavailable`, { cause: err });
    case status.DEADLINE_EXCEEDED:
      return new HttpError(504, 'agent_timeout', `the ${agent} agent did not answer in time`, { cause: err });
    case status.CANCELLED:
      return new HttpError(499, 'cancelled', 'the request was cancelled', { cause: err });
    case status.RESOURCE_EXHAUSTED:
      return new HttpError(503, 'agent_busy', `the ${agent} agent is overloaded`, { cause: err });
    default:
      return new HttpError(502, 'agent_error', `the ${agent} agent failed (${statusName(err.code)})`, { cause: err });
  }
}
