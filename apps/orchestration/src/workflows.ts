import { orchestrate, type Agents, type OrchestrateInput, type OrchestrateResult, type WorkflowSettings } from './workflow.js';

/**
 * The workflow versions this orchestrator can run, side by side (semantic versions: a minor
 * version changes how sources are chosen, never the shape of the answer). A request may pin one
 * with `workflow_version`; otherwise `WORKFLOW_VERSION` (default: the newest stable) runs. Each
 * run records the version that ran it.
 */
export const WORKFLOW_VERSIONS = ['1.0.0', '1.1.0'] as const;
export type WorkflowVersion = (typeof WORKFLOW_VERSIONS)[number];
export const DEFAULT_WORKFLOW_VERSION: WorkflowVersion = '1.0.0';

interface WorkflowDefinition {
  description: string;
  settings: Pick<WorkflowSettings, 'reputableFirst'>;
}

export const WORKFLOWS: Readonly<Record<WorkflowVersion, WorkflowDefinition>> = Object.freeze({
  '1.0.0': {
    description: 'quality loop: rounds of the most relevant sources (reputation-weighted) until the target is verified',
    settings: { reputableFirst: false },
  },
  '1.1.0': {
    description: 'quality loop, reputable sources first: government, statistical and intergovernmental sources are read before any other',
    settings: { reputableFirst: true },
  },
});

export function isWorkflowVersion(v: string): v is WorkflowVersion {
  return (WORKFLOW_VERSIONS as readonly string[]).includes(v);
}

/** Runs `input` with the workflow version it pins (else `fallback`), and says which ran. */
export async function runWorkflow(
  input: OrchestrateInput & { workflow_version?: WorkflowVersion | undefined },
  agents: Agents,
  settings: WorkflowSettings,
  fallback: WorkflowVersion = DEFAULT_WORKFLOW_VERSION,
): Promise<OrchestrateResult & { workflow_version: WorkflowVersion }> {
  const version = input.workflow_version ?? fallback;
  const result = await orchestrate(input, agents, { ...settings, ...WORKFLOWS[version].settings });
  return { ...result, workflow_version: version };
}
