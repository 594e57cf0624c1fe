#!/usr/bin/env node
// Validates the Kubernetes manifests offline, with plain Node and kubectl only (no cluster, no
// npm dependency):
//
//   node k8s/validate.mjs               build k8s/base and k8s/overlays/kind, check every document
//   node k8s/validate.mjs --self-test   prove the checks bite: the fixtures in k8s/testdata and a
//                                       set of in-memory mutations must each be rejected, and
//                                       the real manifests must pass
//
// 1. `kubectl kustomize <dir>` renders each target; `kubectl patch --local -o json` turns the
//    YAML into JSON without contacting any API server (it keeps unknown fields as they are).
// 2. STRICT field check: every field of every document must be on the whitelist of its kind
//    (with its type, and the allowed values of enums). Schema validators such as
//    kubernetes-models accept unknown fields, and a typo there is a silent security hole:
//    `principal:` for `principals:` in an Istio rule allows every caller, `matchLabel:` for
//    `matchLabels:` in a NetworkPolicy selects every pod (shared/FINDINGS.md).
// 3. Semantic checks against the design (DESIGN.md ports, SPIFFE IDs): pod hardening, probes,
//    limits, the SPIFFE CSI volume, Services that reach their pods, TCP-only Istio rules, SPIRE
//    registration, and a small NetworkPolicy evaluator that asserts who can reach whom.
//
// Prints one line per check and ends with "N passed, N failed"; exits 1 on any failure, 2 when
// kubectl is missing or a target does not build.
/* global console, process, structuredClone -- Node globals; the repo's lint config declares none for .mjs */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);

// ---------------------------------------------------------------------------------------------
// The design contract (DESIGN.md, packages/runtime/src/services.ts)
// ---------------------------------------------------------------------------------------------
export const NAMESPACE = 'stats-agent';
export const TRUST_DOMAIN = 'stats-agent.local';
export const SPIFFE_SOCKET = 'unix:///spiffe-workload-api/spire-agent.sock';
export const SPIFFE_MOUNT = '/spiffe-workload-api';
export const SPIFFE_CSI_DRIVER = 'csi.spiffe.io';
export const ORCHESTRATION_PRINCIPAL = `cluster.local/ns/${NAMESPACE}/sa/orchestration`;
export const SPIFFE_ID_TEMPLATE = `spiffe://${TRUST_DOMAIN}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}`;
export const SERVICES = {
  orchestration: { http: 8000, admin: 9100 },
  research: { grpc: 8001, admin: 9101 },
  verification: { grpc: 8002, admin: 9102 },
  synthesis: { grpc: 8004, admin: 9104 },
};
const AGENTS = ['research', 'verification', 'synthesis'];
const FETCHERS = ['synthesis', 'verification'];
/** Every ipBlock that opens the internet must carve these out (FINDINGS: SSRF targets). */
const REQUIRED_V4_EXCEPT = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '127.0.0.0/8', '100.64.0.0/10'];
const REQUIRED_V6_EXCEPT = ['fc00::/7', 'fe80::/10', '::1/128'];

export const TARGETS = [
  { name: 'base', dir: 'k8s/base', expect: { spire: false } },
  { name: 'overlays/kind', dir: 'k8s/overlays/kind', expect: { spire: true, imageTag: 'dev', nodePort: 30800 } },
];

// ---------------------------------------------------------------------------------------------
// Strict schemas: a whitelist of field paths per kind, with types. Fields a hardened workload
// must not use (hostNetwork, hostPath, hostPort, privileged init tricks...) are left out on
// purpose, so they fail as unknown.
// ---------------------------------------------------------------------------------------------
const S = { t: 'string' };
const I = { t: 'integer' };
const B = { t: 'boolean' };
const IS = { t: 'int-or-string' };
const Q = { t: 'quantity' };
const E = (...values) => ({ t: 'enum', values });
const mapOf = (of) => ({ t: 'map', of });
const listOf = (of) => ({ t: 'list', of });
const obj = (fields, required = []) => ({ t: 'object', fields, required });

const labelMap = mapOf(S);
const objectMeta = obj({ name: S, namespace: S, labels: labelMap, annotations: mapOf(S) }, ['name']);
const templateMeta = obj({ labels: labelMap, annotations: mapOf(S) });
const labelSelector = obj({
  matchLabels: labelMap,
  matchExpressions: listOf(obj({ key: S, operator: E('In', 'NotIn', 'Exists', 'DoesNotExist'), values: listOf(S) }, ['key', 'operator'])),
});
const seccompProfile = obj({ type: E('RuntimeDefault', 'Localhost', 'Unconfined'), localhostProfile: S }, ['type']);
const httpGet = obj({ path: S, port: IS, scheme: E('HTTP', 'HTTPS'), httpHeaders: listOf(obj({ name: S, value: S }, ['name', 'value'])) }, ['port']);
const probe = obj({
  httpGet,
  tcpSocket: obj({ port: IS }, ['port']),
  grpc: obj({ port: I, service: S }, ['port']),
  exec: obj({ command: listOf(S) }),
  initialDelaySeconds: I,
  periodSeconds: I,
  timeoutSeconds: I,
  successThreshold: I,
  failureThreshold: I,
  terminationGracePeriodSeconds: I,
});
const lifecycleHandler = obj({ exec: obj({ command: listOf(S) }), httpGet, sleep: obj({ seconds: I }, ['seconds']) });
const keyRef = obj({ name: S, key: S, optional: B }, ['key']);
const envVar = obj(
  {
    name: S,
    value: S,
    valueFrom: obj({
      fieldRef: obj({ fieldPath: S, apiVersion: S }, ['fieldPath']),
      resourceFieldRef: obj({ containerName: S, resource: S, divisor: Q }, ['resource']),
      configMapKeyRef: keyRef,
      secretKeyRef: keyRef,
    }),
  },
  ['name'],
);
const container = obj(
  {
    name: S,
    image: S,
    imagePullPolicy: E('Always', 'IfNotPresent', 'Never'),
    command: listOf(S),
    args: listOf(S),
    workingDir: S,
    ports: listOf(obj({ name: S, containerPort: I, protocol: E('TCP', 'UDP', 'SCTP') }, ['containerPort'])),
    env: listOf(envVar),
    envFrom: listOf(obj({ prefix: S, configMapRef: obj({ name: S, optional: B }), secretRef: obj({ name: S, optional: B }) })),
    resources: obj({ requests: mapOf(Q), limits: mapOf(Q) }),
    volumeMounts: listOf(obj({ name: S, mountPath: S, readOnly: B, subPath: S }, ['name', 'mountPath'])),
    startupProbe: probe,
    livenessProbe: probe,
    readinessProbe: probe,
    lifecycle: obj({ preStop: lifecycleHandler, postStart: lifecycleHandler }),
    securityContext: obj({
      allowPrivilegeEscalation: B,
      readOnlyRootFilesystem: B,
      runAsNonRoot: B,
      runAsUser: I,
      runAsGroup: I,
      privileged: B,
      capabilities: obj({ drop: listOf(S), add: listOf(S) }),
      seccompProfile,
    }),
    terminationMessagePath: S,
    terminationMessagePolicy: E('File', 'FallbackToLogsOnError'),
  },
  ['name', 'image'],
);
const keyToPath = listOf(obj({ key: S, path: S, mode: I }, ['key', 'path']));
const volume = obj(
  {
    name: S,
    csi: obj({ driver: S, readOnly: B, fsType: S, volumeAttributes: mapOf(S) }, ['driver']),
    emptyDir: obj({ medium: E('', 'Memory'), sizeLimit: Q }),
    configMap: obj({ name: S, items: keyToPath, defaultMode: I, optional: B }),
    secret: obj({ secretName: S, items: keyToPath, defaultMode: I, optional: B }),
    projected: obj({
      defaultMode: I,
      sources: listOf(
        obj({
          serviceAccountToken: obj({ audience: S, expirationSeconds: I, path: S }, ['path']),
          configMap: obj({ name: S, items: keyToPath, optional: B }),
          secret: obj({ name: S, items: keyToPath, optional: B }),
        }),
      ),
    }),
  },
  ['name'],
);
const podSpec = obj(
  {
    serviceAccountName: S,
    automountServiceAccountToken: B,
    securityContext: obj({
      runAsNonRoot: B,
      runAsUser: I,
      runAsGroup: I,
      fsGroup: I,
      fsGroupChangePolicy: E('OnRootMismatch', 'Always'),
      supplementalGroups: listOf(I),
      seccompProfile,
    }),
    containers: listOf(container),
    initContainers: listOf(container),
    volumes: listOf(volume),
    terminationGracePeriodSeconds: I,
    enableServiceLinks: B,
    topologySpreadConstraints: listOf(
      obj(
        {
          maxSkew: I,
          topologyKey: S,
          whenUnsatisfiable: E('DoNotSchedule', 'ScheduleAnyway'),
          labelSelector,
          minDomains: I,
          matchLabelKeys: listOf(S),
          nodeAffinityPolicy: E('Honor', 'Ignore'),
          nodeTaintsPolicy: E('Honor', 'Ignore'),
        },
        ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
      ),
    ),
    nodeSelector: labelMap,
    tolerations: listOf(obj({ key: S, operator: E('Exists', 'Equal'), value: S, effect: S, tolerationSeconds: I })),
    priorityClassName: S,
    dnsPolicy: E('ClusterFirst', 'Default', 'None', 'ClusterFirstWithHostNet'),
    restartPolicy: E('Always', 'OnFailure', 'Never'),
    imagePullSecrets: listOf(obj({ name: S }, ['name'])),
  },
  ['containers'],
);
const npPort = obj({ port: IS, endPort: I, protocol: E('TCP', 'UDP', 'SCTP') });
const npPeer = obj({ podSelector: labelSelector, namespaceSelector: labelSelector, ipBlock: obj({ cidr: S, except: listOf(S) }, ['cidr']) });
const strList = listOf(S);
const targetRef = obj({ group: S, kind: S, name: S, namespace: S }, ['kind', 'name']);

const top = (apiVersion, kind, fields = {}, required = []) => ({
  apiVersion,
  kind,
  schema: obj({ apiVersion: E(apiVersion), kind: E(kind), metadata: objectMeta, ...fields }, ['apiVersion', 'kind', 'metadata', ...required]),
});

export const SCHEMAS = Object.fromEntries(
  [
    top('v1', 'Namespace'),
    top('v1', 'ServiceAccount', { automountServiceAccountToken: B, imagePullSecrets: listOf(obj({ name: S }, ['name'])) }),
    top(
      'v1',
      'Service',
      {
        spec: obj(
          {
            type: E('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
            selector: labelMap,
            ports: listOf(
              obj({ name: S, port: I, targetPort: IS, protocol: E('TCP', 'UDP', 'SCTP'), appProtocol: S, nodePort: I }, ['port']),
            ),
            clusterIP: S,
            clusterIPs: strList,
            sessionAffinity: E('None', 'ClientIP'),
            internalTrafficPolicy: E('Cluster', 'Local'),
            externalTrafficPolicy: E('Cluster', 'Local'),
            ipFamilyPolicy: E('SingleStack', 'PreferDualStack', 'RequireDualStack'),
            ipFamilies: listOf(E('IPv4', 'IPv6')),
            publishNotReadyAddresses: B,
          },
          ['ports'],
        ),
      },
      ['spec'],
    ),
    top(
      'apps/v1',
      'Deployment',
      {
        spec: obj(
          {
            replicas: I,
            revisionHistoryLimit: I,
            minReadySeconds: I,
            progressDeadlineSeconds: I,
            selector: labelSelector,
            strategy: obj({
              type: E('RollingUpdate', 'Recreate'),
              rollingUpdate: obj({ maxSurge: IS, maxUnavailable: IS }),
            }),
            template: obj({ metadata: templateMeta, spec: podSpec }, ['metadata', 'spec']),
          },
          ['selector', 'template'],
        ),
      },
      ['spec'],
    ),
    top(
      'networking.k8s.io/v1',
      'NetworkPolicy',
      {
        spec: obj(
          {
            podSelector: labelSelector,
            policyTypes: listOf(E('Ingress', 'Egress')),
            ingress: listOf(obj({ from: listOf(npPeer), ports: listOf(npPort) })),
            egress: listOf(obj({ to: listOf(npPeer), ports: listOf(npPort) })),
          },
          ['podSelector'],
        ),
      },
      ['spec'],
    ),
    top(
      'security.istio.io/v1',
      'PeerAuthentication',
      {
        spec: obj({
          selector: obj({ matchLabels: labelMap }),
          mtls: obj({ mode: E('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') }),
          portLevelMtls: mapOf(obj({ mode: E('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') })),
        }),
      },
      ['spec'],
    ),
    top(
      'security.istio.io/v1',
      'AuthorizationPolicy',
      {
        spec: obj({
          selector: obj({ matchLabels: labelMap }),
          targetRef,
          targetRefs: listOf(targetRef),
          action: E('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
          provider: obj({ name: S }),
          rules: listOf(
            obj({
              from: listOf(
                obj({
                  source: obj({
                    principals: strList,
                    notPrincipals: strList,
                    requestPrincipals: strList,
                    notRequestPrincipals: strList,
                    namespaces: strList,
                    notNamespaces: strList,
                    serviceAccounts: strList,
                    notServiceAccounts: strList,
                    ipBlocks: strList,
                    notIpBlocks: strList,
                    remoteIpBlocks: strList,
                    notRemoteIpBlocks: strList,
                  }),
                }),
              ),
              to: listOf(
                obj({
                  operation: obj({
                    hosts: strList,
                    notHosts: strList,
                    ports: strList,
                    notPorts: strList,
                    methods: strList,
                    notMethods: strList,
                    paths: strList,
                    notPaths: strList,
                  }),
                }),
              ),
              when: listOf(obj({ key: S, values: strList, notValues: strList }, ['key'])),
            }),
          ),
        }),
      },
      ['spec'],
    ),
    top(
      'spire.spiffe.io/v1alpha1',
      'ClusterSPIFFEID',
      {
        spec: obj(
          {
            spiffeIDTemplate: S,
            ttl: S,
            jwtTtl: S,
            dnsNameTemplates: strList,
            workloadSelectorTemplates: strList,
            federatesWith: strList,
            namespaceSelector: labelSelector,
            podSelector: labelSelector,
            admin: B,
            downstream: B,
            autoPopulateDNSNames: B,
            className: S,
            fallback: B,
            hint: S,
          },
          ['spiffeIDTemplate'],
        ),
      },
      ['spec'],
    ),
  ].map((k) => [k.kind, k]),
);

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterSPIFFEID']);
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

/** Pushes one message per unknown field, wrong type or missing required field under `path`. */
export function checkSchema(value, schema, path, errors) {
  const where = path || '(document)';
  switch (schema.t) {
    case 'string':
      if (typeof value !== 'string') errors.push(`${where}: expected string, got ${typeName(value)} ${JSON.stringify(value)}`);
      return;
    case 'integer':
      if (!Number.isInteger(value)) errors.push(`${where}: expected integer, got ${typeName(value)} ${JSON.stringify(value)}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${where}: expected boolean, got ${typeName(value)} ${JSON.stringify(value)}`);
      return;
    case 'int-or-string':
      if (!Number.isInteger(value) && typeof value !== 'string') errors.push(`${where}: expected integer or string, got ${typeName(value)}`);
      return;
    case 'quantity':
      if (!(Number.isFinite(value) || (typeof value === 'string' && QUANTITY.test(value)))) {
        errors.push(`${where}: expected a quantity such as 100m or 128Mi, got ${JSON.stringify(value)}`);
      }
      return;
    case 'enum':
      if (!schema.values.includes(value)) errors.push(`${where}: ${JSON.stringify(value)} is not one of ${schema.values.map((v) => JSON.stringify(v)).join(', ')}`);
      return;
    case 'list':
      if (!Array.isArray(value)) {
        errors.push(`${where}: expected list, got ${typeName(value)}`);
        return;
      }
      value.forEach((item, i) => checkSchema(item, schema.of, `${path}[${i}]`, errors));
      return;
    case 'map':
      if (typeName(value) !== 'object') {
        errors.push(`${where}: expected map, got ${typeName(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) checkSchema(v, schema.of, path ? `${path}.${k}` : k, errors);
      return;
    case 'object': {
      if (typeName(value) !== 'object') {
        errors.push(`${where}: expected object, got ${typeName(value)}`);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const sub = path ? `${path}.${k}` : k;
        const fieldSchema = Object.hasOwn(schema.fields, k) ? schema.fields[k] : undefined;
        if (!fieldSchema) {
          const known = Object.keys(schema.fields);
          const near = known.filter((f) => f.toLowerCase().startsWith(k.toLowerCase().slice(0, 4)) || k.toLowerCase().startsWith(f.toLowerCase().slice(0, 4)));
          errors.push(`${sub}: unknown field${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`);
        } else {
          checkSchema(v, fieldSchema, sub, errors);
        }
      }
      for (const r of schema.required) if (!(r in value)) errors.push(`${path ? `${path}.` : ''}${r}: required field missing`);
      return;
    }
    default:
      throw new Error(`validate: unknown schema type ${schema.t}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering: kustomize, then YAML → JSON through kubectl, offline
// ---------------------------------------------------------------------------------------------
export class ToolError extends Error {}

function run(cmd, args, input) {
  const res = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  if (res.error) {
    if (res.error.code === 'ENOENT') throw new ToolError(`${cmd} not found: k8s/validate.mjs needs kubectl (Debian package kubectl) to render and parse manifests`);
    throw new ToolError(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  }
  if (res.status !== 0) throw new ToolError(`${cmd} ${args.join(' ')} failed (exit ${res.status}): ${res.stderr.trim()}`);
  return res.stdout;
}

/** Splits `{...}\n{...}` (kubectl prints one JSON object per resource) into objects. */
export function parseJsonStream(text) {
  const docs = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)));
    } else if (depth === 0 && !/\s/.test(c)) {
      throw new ToolError(`unexpected ${JSON.stringify(c)} between JSON documents at offset ${i}`);
    }
  }
  if (depth !== 0) throw new ToolError('truncated JSON from kubectl');
  return docs;
}

/** YAML (one or more documents) → JSON objects, via `kubectl patch --local` (no API server). */
export function yamlToDocs(yamlText) {
  if (!yamlText.trim()) return [];
  const out = run('kubectl', ['patch', '--local', '-f', '-', '--type', 'merge', '-p', '{}', '-o', 'json'], yamlText);
  return parseJsonStream(out);
}

export function renderTarget(dir) {
  return yamlToDocs(run('kubectl', ['kustomize', dir]));
}

// ---------------------------------------------------------------------------------------------
// Helpers for the semantic checks
// ---------------------------------------------------------------------------------------------
const id = (d) => `${d.kind}/${d.metadata?.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata?.name}`;

/** Label selector semantics; an empty or absent selector matches everything. */
export function selects(selector, labels = {}) {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

const isEmptySelector = (s) => !s || (Object.keys(s.matchLabels ?? {}).length === 0 && (s.matchExpressions ?? []).length === 0);

function ipv4ToInt(ip) {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** IPv4 CIDR containment (IPv6 blocks never contain the IPv4 test addresses used here). */
export function cidrContains(cidr, ip) {
  const [base, bitsText] = cidr.split('/');
  if (base.includes(':') || ip.includes(':')) return false;
  const b = ipv4ToInt(base);
  const a = ipv4ToInt(ip);
  const bits = Number(bitsText);
  if (b === undefined || a === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) === (b & mask);
}

function isCidr(text) {
  const m = /^(.+)\/(\d{1,3})$/.exec(text);
  if (!m) return false;
  if (m[1].includes(':')) return Number(m[2]) <= 128 && /^[0-9a-fA-F:.]+$/.test(m[1]);
  return ipv4ToInt(m[1]) !== undefined && Number(m[2]) <= 32;
}

function envOf(c) {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
}

/** The pods a build would run: one entry per Deployment, with what policies need to know. */
function podsOf(docs) {
  return docs
    .filter((d) => d.kind === 'Deployment')
    .map((d, i) => ({
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      labels: d.spec?.template?.metadata?.labels ?? {},
      serviceAccount: d.spec?.template?.spec?.serviceAccountName ?? 'default',
      ports: (d.spec?.template?.spec?.containers ?? []).flatMap((c) => c.ports ?? []),
      ip: `10.244.1.${10 + i}`,
    }));
}

// --- NetworkPolicy evaluator -----------------------------------------------------------------

function portMatches(rulePorts, port, protocol, namedPorts) {
  if (!rulePorts || rulePorts.length === 0) return true;
  return rulePorts.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string' && !/^\d+$/.test(p.port)) {
      return namedPorts.some((np) => np.name === p.port && np.containerPort === port && (np.protocol ?? 'TCP') === protocol);
    }
    const start = Number(p.port);
    const end = p.endPort ?? start;
    return port >= start && port <= end;
  });
}

function peerMatches(peers, policyNs, other, nsLabels) {
  if (!peers || peers.length === 0) return true;
  return peers.some((peer) => {
    if (peer.ipBlock) {
      const ip = other.ip;
      if (!ip || !cidrContains(peer.ipBlock.cidr, ip)) return false;
      return !(peer.ipBlock.except ?? []).some((e) => cidrContains(e, ip));
    }
    if (other.kind !== 'pod') return false;
    if (peer.namespaceSelector) {
      if (!selects(peer.namespaceSelector, nsLabels(other.namespace))) return false;
    } else if (other.namespace !== policyNs) {
      return false;
    }
    return selects(peer.podSelector, other.labels);
  });
}

function policyTypesOf(np) {
  if (np.spec.policyTypes) return np.spec.policyTypes;
  return np.spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

/**
 * Would a connection from `src` to `dst` on port/protocol pass the NetworkPolicies in `docs`?
 * src/dst: { kind: 'pod', namespace, labels, ip, ports } or { kind: 'external', ip }.
 * Follows the NetworkPolicy v1 rules: a pod selected by no policy of a direction is open in
 * that direction; otherwise the union of the matching policies' rules decides. `only`
 * ('ingress' | 'egress') evaluates one end, so that each fence is checked on its own.
 */
export function npAllows(docs, src, dst, port, protocol = 'TCP', only = undefined) {
  const policies = docs.filter((d) => d.kind === 'NetworkPolicy');
  const nsLabelsOf = (ns) => {
    const n = docs.find((d) => d.kind === 'Namespace' && d.metadata.name === ns);
    return { 'kubernetes.io/metadata.name': ns, ...(n?.metadata?.labels ?? {}) };
  };
  const side = (pod, direction, other) => {
    if (pod.kind !== 'pod') return true; // outside the cluster: not our policies' business
    const applying = policies.filter((p) => p.metadata.namespace === pod.namespace && selects(p.spec.podSelector, pod.labels) && policyTypesOf(p).includes(direction));
    if (applying.length === 0) return true;
    const targetPorts = direction === 'Ingress' ? pod.ports : other.ports ?? [];
    return applying.some((p) =>
      (direction === 'Ingress' ? p.spec.ingress ?? [] : p.spec.egress ?? []).some(
        (rule) => peerMatches(direction === 'Ingress' ? rule.from : rule.to, p.metadata.namespace, other, nsLabelsOf) && portMatches(rule.ports, port, protocol, targetPorts),
      ),
    );
  };
  if (only === 'ingress') return side(dst, 'Ingress', src);
  if (only === 'egress') return side(src, 'Egress', dst);
  return side(src, 'Egress', dst) && side(dst, 'Ingress', src);
}

// --- Istio evaluator -------------------------------------------------------------------------

function effectiveMtls(docs, pod, port) {
  const pas = docs.filter((d) => d.kind === 'PeerAuthentication' && d.metadata.namespace === pod.namespace);
  const specific = pas.find((p) => p.spec.selector && selects(p.spec.selector, pod.labels));
  const nsWide = pas.find((p) => !p.spec.selector);
  const chosen = specific ?? nsWide;
  if (!chosen) return 'PERMISSIVE (mesh default)';
  const portMode = chosen.spec.portLevelMtls?.[String(port)]?.mode;
  return portMode ?? chosen.spec.mtls?.mode ?? 'PERMISSIVE';
}

/** Istio ALLOW/DENY evaluation at L4: principal (only with Istio mTLS), namespace and port. */
export function istioAllows(docs, pod, { principal, port }) {
  const mode = effectiveMtls(docs, pod, port);
  const peerPrincipal = mode === 'DISABLE' ? undefined : principal;
  if (mode === 'STRICT' && !principal) return false;
  const aps = docs.filter(
    (d) => d.kind === 'AuthorizationPolicy' && d.metadata.namespace === pod.namespace && (!d.spec.selector || selects(d.spec.selector, pod.labels)),
  );
  const ruleMatches = (rule) => {
    const fromOk =
      !rule.from ||
      rule.from.some((f) => {
        const s = f.source ?? {};
        if (s.principals && !(peerPrincipal && s.principals.some((p) => p === '*' || p === peerPrincipal))) return false;
        if (s.namespaces) {
          const ns = peerPrincipal?.split('/ns/')[1]?.split('/')[0];
          if (!(ns && s.namespaces.includes(ns))) return false;
        }
        if (s.notPrincipals && peerPrincipal && s.notPrincipals.includes(peerPrincipal)) return false;
        return true;
      });
    const toOk = !rule.to || rule.to.some((t) => !t.operation?.ports || t.operation.ports.includes(String(port)));
    return fromOk && toOk;
  };
  const matching = (action) => aps.filter((a) => (a.spec.action ?? 'ALLOW') === action);
  if (matching('DENY').some((a) => (a.spec.rules ?? []).some(ruleMatches))) return false;
  const allows = matching('ALLOW');
  if (allows.length === 0) return true;
  return allows.some((a) => (a.spec.rules ?? []).some(ruleMatches));
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/**
 * Runs every check on one rendered target. Returns [{ name, errors: string[] }]; a check with
 * no errors passed. `expect` tunes overlay-specific expectations (see TARGETS).
 */
export function validateDocs(docs, expect = {}) {
  const results = [];
  const check = (name, fn) => {
    const errors = [];
    try {
      fn((msg) => errors.push(msg));
    } catch (err) {
      errors.push(`check crashed: ${err instanceof Error ? err.stack : String(err)}`);
    }
    results.push({ name, errors });
  };

  // --- strict fields, per document ---
  for (const d of docs) {
    check(`strict fields: ${id(d)}`, (fail) => {
      const k = SCHEMAS[d.kind];
      if (!k) {
        fail(`kind ${JSON.stringify(d.kind)} has no whitelist in k8s/validate.mjs (add one before using it)`);
        return;
      }
      if (d.apiVersion !== k.apiVersion) fail(`apiVersion: ${JSON.stringify(d.apiVersion)}, expected ${k.apiVersion}`);
      const errors = [];
      checkSchema(d, k.schema, '', errors);
      errors.forEach(fail);
      if (CLUSTER_SCOPED.has(d.kind)) {
        if (d.metadata?.namespace) fail(`metadata.namespace: ${d.kind} is cluster-scoped`);
      } else if (d.metadata?.namespace !== NAMESPACE) {
        fail(`metadata.namespace: ${JSON.stringify(d.metadata?.namespace)}, expected ${NAMESPACE}`);
      }
    });
  }

  const byKind = (kind) => docs.filter((d) => d.kind === kind);
  const deployments = byKind('Deployment');
  const pods = podsOf(docs);
  const podByName = (n) => pods.find((p) => p.name === n);

  check('namespace: stats-agent exists and enforces the restricted Pod Security Standard', (fail) => {
    const ns = byKind('Namespace').find((n) => n.metadata.name === NAMESPACE);
    if (!ns) return fail(`no Namespace ${NAMESPACE}`);
    if (ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') fail('labels.pod-security.kubernetes.io/enforce must be "restricted"');
  });

  check('deployments: exactly the four services', (fail) => {
    const names = deployments.map((d) => d.metadata.name).sort();
    const want = Object.keys(SERVICES).sort();
    if (JSON.stringify(names) !== JSON.stringify(want)) fail(`Deployments ${names.join(', ')}; expected ${want.join(', ')}`);
  });

  for (const d of deployments) {
    const name = d.metadata.name;
    const svc = SERVICES[name];
    const pod = d.spec?.template?.spec ?? {};
    const labels = d.spec?.template?.metadata?.labels ?? {};
    const containers = pod.containers ?? [];
    check(`${name}: identity (labels, selector, service account)`, (fail) => {
      if (!svc) return fail(`no such service in DESIGN.md: ${name}`);
      if (labels['app.kubernetes.io/name'] !== name) fail(`spec.template.metadata.labels.app.kubernetes.io/name must be ${name}`);
      if (!selects(d.spec.selector, labels) || isEmptySelector(d.spec.selector)) fail('spec.selector must be non-empty and match the pod template labels');
      if (pod.serviceAccountName !== name) fail(`spec.template.spec.serviceAccountName must be ${name} (its SPIFFE ID is .../sa/${name})`);
      const sa = byKind('ServiceAccount').find((s) => s.metadata.name === pod.serviceAccountName);
      if (!sa) fail(`ServiceAccount ${pod.serviceAccountName} is not in the build`);
      else if (sa.automountServiceAccountToken !== false) fail(`ServiceAccount ${sa.metadata.name}: automountServiceAccountToken must be false`);
      if (pod.automountServiceAccountToken !== false) fail('spec.template.spec.automountServiceAccountToken must be false (no Kubernetes API access)');
    });
    check(`${name}: pod and container security context`, (fail) => {
      const psc = pod.securityContext ?? {};
      if (psc.runAsNonRoot !== true) fail('spec.template.spec.securityContext.runAsNonRoot must be true');
      if (psc.runAsUser === 0) fail('spec.template.spec.securityContext.runAsUser must not be 0');
      if (containers.length === 0) fail('no containers');
      for (const [i, c] of containers.entries()) {
        const p = `spec.template.spec.containers[${i}].securityContext`;
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false) fail(`${p}.allowPrivilegeEscalation must be false`);
        if (sc.readOnlyRootFilesystem !== true) fail(`${p}.readOnlyRootFilesystem must be true`);
        if (sc.privileged === true) fail(`${p}.privileged must not be true`);
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(`${p}.capabilities.drop must include ALL`);
        if ((sc.capabilities?.add ?? []).length > 0) fail(`${p}.capabilities.add must be empty`);
        if (sc.runAsUser === 0) fail(`${p}.runAsUser must not be 0`);
        if (sc.runAsNonRoot === false || (sc.runAsNonRoot !== true && psc.runAsNonRoot !== true)) fail(`${p}.runAsNonRoot must be true (here or on the pod)`);
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (seccomp !== 'RuntimeDefault') fail(`${p}.seccompProfile.type must be RuntimeDefault (here or on the pod), got ${seccomp}`);
      }
    });
    check(`${name}: image, resources, probes, ports, shutdown`, (fail) => {
      if (!svc) return;
      for (const [i, c] of containers.entries()) {
        const p = `spec.template.spec.containers[${i}]`;
        const tag = /^[^@]+:([^/:@]+)$/.exec(c.image ?? '')?.[1];
        if (!tag && !(c.image ?? '').includes('@sha256:')) fail(`${p}.image ${c.image}: needs an explicit tag or digest`);
        if (tag === 'latest') fail(`${p}.image ${c.image}: :latest is not a version`);
        if (expect.imageTag && tag !== expect.imageTag) fail(`${p}.image ${c.image}: expected tag ${expect.imageTag} in this overlay`);
        if (expect.imageTag && c.imagePullPolicy !== 'IfNotPresent') fail(`${p}.imagePullPolicy must be IfNotPresent for loaded images`);
        for (const kind of ['requests', 'limits']) {
          for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) fail(`${p}.resources.${kind}.${r} is missing`);
        }
        const ports = c.ports ?? [];
        const portNamed = (n) => ports.find((x) => x.name === n);
        const admin = portNamed('http-admin');
        if (admin?.containerPort !== svc.admin) fail(`${p}.ports: http-admin must be ${svc.admin}, got ${admin?.containerPort}`);
        if (svc.grpc && portNamed('tcp-grpc')?.containerPort !== svc.grpc) fail(`${p}.ports: tcp-grpc must be ${svc.grpc}`);
        if (svc.http && portNamed('http')?.containerPort !== svc.http) fail(`${p}.ports: http must be ${svc.http}`);
        const resolves = (port) => port === svc.admin || port === 'http-admin';
        for (const [probeName, path] of [
          ['livenessProbe', '/healthz'],
          ['readinessProbe', '/readyz'],
        ]) {
          const pr = c[probeName];
          if (!pr?.httpGet) fail(`${p}.${probeName}: missing (httpGet ${path} on the admin port)`);
          else {
            if (pr.httpGet.path !== path) fail(`${p}.${probeName}.httpGet.path must be ${path}`);
            if (!resolves(pr.httpGet.port)) fail(`${p}.${probeName}.httpGet.port must be the admin port (${svc.admin} / http-admin)`);
          }
        }
        if (c.startupProbe?.httpGet && !resolves(c.startupProbe.httpGet.port)) fail(`${p}.startupProbe.httpGet.port must be the admin port`);
        // The app drains for SHUTDOWN_GRACE_MS (+5 s hard stop) after any preStop sleep.
        const env = envOf(c);
        const drainMs = Number(env.SHUTDOWN_GRACE_MS ?? 10_000) + 5_000 + 1000 * (c.lifecycle?.preStop?.sleep?.seconds ?? 0);
        const grace = pod.terminationGracePeriodSeconds;
        if (grace === undefined) fail('spec.template.spec.terminationGracePeriodSeconds must be set');
        else if (grace * 1000 < drainMs) fail(`terminationGracePeriodSeconds ${grace}s is shorter than preStop + drain (${drainMs / 1000}s): pods would be killed mid-drain`);
      }
    });
    check(`${name}: environment (binds, ports, SPIFFE, no literal secrets)`, (fail) => {
      if (!svc) return;
      for (const [i, c] of containers.entries()) {
        const p = `spec.template.spec.containers[${i}].env`;
        const env = envOf(c);
        const want = {
          SPIFFE_ENDPOINT_SOCKET: SPIFFE_SOCKET,
          SPIFFE_TRUST_DOMAIN: TRUST_DOMAIN,
          ADMIN_HOST: '0.0.0.0',
          ADMIN_PORT: String(svc.admin),
          ...(svc.grpc ? { GRPC_HOST: '0.0.0.0', GRPC_PORT: String(svc.grpc) } : {}),
          ...(svc.http ? { HTTP_HOST: '0.0.0.0', HTTP_PORT: String(svc.http) } : {}),
        };
        for (const [k, v] of Object.entries(want)) if (env[k] !== v) fail(`${p}: ${k} must be ${JSON.stringify(v)}, got ${JSON.stringify(env[k])}`);
        if (name === 'orchestration') {
          for (const agent of AGENTS) {
            const addr = env[`${agent.toUpperCase()}_ADDR`];
            const m = /^([A-Za-z0-9.-]+):(\d+)$/.exec(addr ?? '');
            if (!m) fail(`${p}: ${agent.toUpperCase()}_ADDR must be host:port, got ${JSON.stringify(addr)}`);
            else {
              if (Number(m[2]) !== SERVICES[agent].grpc) fail(`${p}: ${agent.toUpperCase()}_ADDR port must be ${SERVICES[agent].grpc}`);
              const host = m[1].split('.')[0];
              if (!byKind('Service').some((s) => s.metadata.name === host)) fail(`${p}: ${agent.toUpperCase()}_ADDR names Service ${host}, which is not in the build`);
            }
          }
        }
        for (const e of c.env ?? []) {
          // A *_FILE variable holds the path of a mounted secret, not the secret.
          if (/(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)/i.test(e.name) && !/_FILE$/.test(e.name) && e.value !== undefined) fail(`${p}: ${e.name} has a literal value; secrets come from a Secret, a file or Vault`);
        }
      }
    });
    check(`${name}: SPIFFE Workload API through the CSI driver`, (fail) => {
      const vols = pod.volumes ?? [];
      for (const [i, c] of containers.entries()) {
        const m = (c.volumeMounts ?? []).find((vm) => vm.mountPath === SPIFFE_MOUNT);
        if (!m) {
          fail(`spec.template.spec.containers[${i}]: no volumeMount at ${SPIFFE_MOUNT}`);
          continue;
        }
        if (m.readOnly !== true) fail(`spec.template.spec.containers[${i}].volumeMounts(${m.name}).readOnly must be true`);
        const v = vols.find((x) => x.name === m.name);
        if (!v) fail(`volume ${m.name} (mounted at ${SPIFFE_MOUNT}) is not defined`);
        else if (v.csi?.driver !== SPIFFE_CSI_DRIVER || v.csi?.readOnly !== true) fail(`volume ${m.name} must be csi: { driver: ${SPIFFE_CSI_DRIVER}, readOnly: true }`);
      }
    });
    check(`${name}: Prometheus annotations`, (fail) => {
      if (!svc) return;
      const a = d.spec?.template?.metadata?.annotations ?? {};
      if (a['prometheus.io/scrape'] !== 'true') fail('spec.template.metadata.annotations."prometheus.io/scrape" must be "true"');
      if (a['prometheus.io/port'] !== String(svc.admin)) fail(`spec.template.metadata.annotations."prometheus.io/port" must be "${svc.admin}"`);
      if ((a['prometheus.io/path'] ?? '/metrics') !== '/metrics') fail('prometheus.io/path must be /metrics');
    });
  }

  check('services: each selects one Deployment and its target ports exist', (fail) => {
    for (const s of byKind('Service')) {
      const matched = pods.filter((p) => !isEmptySelector({ matchLabels: s.spec.selector }) && selects({ matchLabels: s.spec.selector }, p.labels));
      if (matched.length !== 1) {
        fail(`${id(s)}: selector ${JSON.stringify(s.spec.selector)} matches ${matched.length} Deployments`);
        continue;
      }
      const podPorts = matched[0].ports;
      for (const [i, port] of s.spec.ports.entries()) {
        const t = port.targetPort ?? port.port;
        const ok = typeof t === 'string' ? podPorts.some((p) => p.name === t) : podPorts.some((p) => p.containerPort === t);
        if (!ok) fail(`${id(s)}: spec.ports[${i}].targetPort ${JSON.stringify(t)} is not a port of ${matched[0].name}`);
        const svc = SERVICES[matched[0].name];
        if (svc?.grpc && port.port === svc.grpc) {
          // The agents speak their own TLS: Istio must treat the port as opaque TCP.
          if (/^(grpc|http|http2)(-|$)/.test(port.name ?? '') || (port.appProtocol && port.appProtocol !== 'tcp')) {
            fail(`${id(s)}: spec.ports[${i}] carries app-level TLS; name it tcp-* with appProtocol tcp, not ${port.name}/${port.appProtocol}`);
          }
        }
      }
    }
  });

  check('services: the expected ones exist', (fail) => {
    for (const [n, svc] of Object.entries(SERVICES)) {
      const s = byKind('Service').find((x) => x.metadata.name === n);
      if (!s) {
        fail(`Service ${n} is missing`);
        continue;
      }
      const want = svc.grpc ?? svc.http;
      if (!s.spec.ports.some((p) => p.port === want)) fail(`Service ${n} must expose port ${want}`);
    }
    if (expect.nodePort) {
      const o = byKind('Service').find((x) => x.metadata.name === 'orchestration');
      if (o?.spec.type !== 'NodePort' || !o.spec.ports.some((p) => p.port === 8000 && p.nodePort === expect.nodePort)) {
        fail(`Service orchestration must be NodePort with 8000 → nodePort ${expect.nodePort} in this overlay`);
      }
    }
  });

  // --- NetworkPolicies ---
  const nps = byKind('NetworkPolicy');
  check('networkpolicies: a default deny for ingress and egress', (fail) => {
    const deny = nps.find(
      (p) =>
        isEmptySelector(p.spec.podSelector) &&
        policyTypesOf(p).includes('Ingress') &&
        policyTypesOf(p).includes('Egress') &&
        (p.spec.ingress ?? []).length === 0 &&
        (p.spec.egress ?? []).length === 0,
    );
    if (!deny) fail('no NetworkPolicy with podSelector: {}, policyTypes [Ingress, Egress] and no rules');
  });
  check('networkpolicies: selectors select something, CIDRs parse, internet egress is fenced', (fail) => {
    for (const p of nps) {
      if (!isEmptySelector(p.spec.podSelector) && !pods.some((pod) => selects(p.spec.podSelector, pod.labels))) {
        fail(`${id(p)}: spec.podSelector selects no pod of the build (label typo?)`);
      }
      for (const [dir, peersKey] of [
        ['ingress', 'from'],
        ['egress', 'to'],
      ]) {
        for (const [ri, rule] of (p.spec[dir] ?? []).entries()) {
          for (const [pi, peer] of (rule[peersKey] ?? []).entries()) {
            const at = `${id(p)}: spec.${dir}[${ri}].${peersKey}[${pi}]`;
            if (peer.podSelector && !peer.namespaceSelector && !isEmptySelector(peer.podSelector) && !pods.some((pod) => selects(peer.podSelector, pod.labels))) {
              fail(`${at}.podSelector selects no pod of the build (label typo?)`);
            }
            if (peer.ipBlock) {
              for (const c of [peer.ipBlock.cidr, ...(peer.ipBlock.except ?? [])]) if (!isCidr(c)) fail(`${at}.ipBlock: ${JSON.stringify(c)} is not a CIDR`);
              const required = peer.ipBlock.cidr === '0.0.0.0/0' ? REQUIRED_V4_EXCEPT : peer.ipBlock.cidr === '::/0' ? REQUIRED_V6_EXCEPT : [];
              for (const r of required) if (!(peer.ipBlock.except ?? []).includes(r)) fail(`${at}.ipBlock.except must include ${r}`);
              if (dir === 'egress' && required.length > 0) {
                const who = pods.filter((pod) => selects(p.spec.podSelector, pod.labels)).map((pod) => pod.name);
                const extra = who.filter((n) => !FETCHERS.includes(n));
                if (extra.length) fail(`${at}: internet egress is for ${FETCHERS.join(' and ')} only, not ${extra.join(', ')}`);
              }
            }
          }
        }
      }
    }
  });
  check('networkpolicies: who can reach whom', (fail) => {
    if (pods.length !== 4) return fail('needs the four Deployments');
    const pod = (n) => ({ kind: 'pod', ...podByName(n) });
    const monitoring = { kind: 'pod', namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' }, ip: '10.244.2.5', ports: [] };
    const otherNs = { kind: 'pod', namespace: 'default', labels: { app: 'curl' }, ip: '10.244.2.9', ports: [] };
    const dns = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.3', ports: [] };
    const internet = { kind: 'external', ip: '93.184.216.34' };
    const client = { kind: 'external', ip: '198.51.100.20' };
    const metadata = { kind: 'external', ip: '169.254.169.254' };
    const apiServer = { kind: 'external', ip: '10.96.0.1' };
    const nodeNet = { kind: 'external', ip: '172.18.0.2' };
    const expectations = [];
    const want = (label, src, dst, port, allowed, protocol = 'TCP', only = undefined) => expectations.push({ label, src, dst, port, allowed, protocol, only });
    for (const a of AGENTS) {
      want(`orchestration → ${a}:${SERVICES[a].grpc}`, pod('orchestration'), pod(a), SERVICES[a].grpc, true);
      for (const b of AGENTS) if (a !== b) want(`${a} → ${b}:${SERVICES[b].grpc}`, pod(a), pod(b), SERVICES[b].grpc, false);
      want(`${a} → orchestration:8000`, pod(a), pod('orchestration'), 8000, false);
      want(`other namespace → ${a}:${SERVICES[a].grpc}`, otherNs, pod(a), SERVICES[a].grpc, false);
      want(`client → ${a}:${SERVICES[a].grpc}`, client, pod(a), SERVICES[a].grpc, false);
    }
    // Each end must hold on its own (defence in depth): a pod admits orchestration only on its
    // own gRPC port, and orchestration sends only to the agents' own ports.
    for (const n of Object.keys(SERVICES)) {
      for (const a of AGENTS) {
        if (a === n) continue;
        const port = SERVICES[a].grpc;
        want(`ingress of ${n} admits orchestration on ${port}`, pod('orchestration'), pod(n), port, false, 'TCP', 'ingress');
        want(`egress of orchestration reaches ${n}:${port}`, pod('orchestration'), pod(n), port, false, 'TCP', 'egress');
      }
    }
    want('client → orchestration:8000', client, pod('orchestration'), 8000, true);
    want('client → orchestration:9100 (admin)', client, pod('orchestration'), 9100, false);
    for (const [n, svc] of Object.entries(SERVICES)) {
      want(`prometheus (monitoring) → ${n}:${svc.admin}`, monitoring, pod(n), svc.admin, true);
      want(`other namespace → ${n}:${svc.admin}`, otherNs, pod(n), svc.admin, false);
      want(`${n} → kube-dns:53/UDP`, pod(n), dns, 53, true, 'UDP');
      want(`${n} → kube-dns:53/TCP`, pod(n), dns, 53, true, 'TCP');
      want(`${n} → API server 10.96.0.1:443`, pod(n), apiServer, 443, false);
      want(`${n} → metadata 169.254.169.254:80`, pod(n), metadata, 80, false);
      want(`${n} → node network 172.18.0.2:10250`, pod(n), nodeNet, 10250, false);
      want(`${n} → internet:443`, pod(n), internet, 443, FETCHERS.includes(n));
      want(`${n} → internet:22`, pod(n), internet, 22, false);
    }
    for (const e of expectations) {
      const got = npAllows(docs, e.src, e.dst, e.port, e.protocol, e.only);
      if (got !== e.allowed) fail(`${e.label}: ${got ? 'allowed' : 'denied'}, expected ${e.allowed ? 'allowed' : 'denied'}`);
    }
  });

  // --- Istio ---
  const aps = byKind('AuthorizationPolicy');
  check('istio: AuthorizationPolicies use TCP-level fields only', (fail) => {
    // FINDINGS: the agents' TLS is opaque to Istio; HTTP attributes never match on those ports.
    const httpOnly = ['methods', 'notMethods', 'paths', 'notPaths', 'hosts', 'notHosts'];
    for (const ap of aps) {
      for (const [ri, rule] of (ap.spec.rules ?? []).entries()) {
        for (const [fi, f] of (rule.from ?? []).entries()) {
          for (const k of ['requestPrincipals', 'notRequestPrincipals']) if (f.source?.[k]) fail(`${id(ap)}: spec.rules[${ri}].from[${fi}].source.${k} is an HTTP (JWT) attribute`);
        }
        for (const [ti, t] of (rule.to ?? []).entries()) for (const k of httpOnly) if (t.operation?.[k]) fail(`${id(ap)}: spec.rules[${ri}].to[${ti}].operation.${k} is an HTTP attribute`);
        for (const [wi, w] of (rule.when ?? []).entries()) if (/^request\./.test(w.key)) fail(`${id(ap)}: spec.rules[${ri}].when[${wi}].key ${w.key} is an HTTP attribute`);
      }
    }
  });
  check('istio: every AuthorizationPolicy names principals, port by port', (fail) => {
    if (aps.length === 0) fail('no AuthorizationPolicy in the build');
    for (const ap of aps) {
      const rules = ap.spec.rules ?? [];
      if (rules.length === 0) fail(`${id(ap)}: spec.rules is empty`);
      const withPrincipals = rules.filter((r) => (r.from ?? []).length > 0 && r.from.every((f) => (f.source?.principals ?? []).length > 0));
      if (withPrincipals.length === 0) fail(`${id(ap)}: no rule with non-empty rules[].from[].source.principals`);
      for (const [ri, r] of rules.entries()) {
        const ports = (r.to ?? []).flatMap((t) => t.operation?.ports ?? []);
        if (ports.length === 0) fail(`${id(ap)}: spec.rules[${ri}] is not limited to ports (to[].operation.ports)`);
        const grpcPorts = AGENTS.map((a) => String(SERVICES[a].grpc));
        if (ports.some((p) => grpcPorts.includes(p))) {
          if (!(r.from ?? []).length) fail(`${id(ap)}: spec.rules[${ri}] opens a gRPC port to every caller`);
          for (const [fi, f] of (r.from ?? []).entries()) {
            const pr = f.source?.principals ?? [];
            if (pr.length === 0) fail(`${id(ap)}: spec.rules[${ri}].from[${fi}].source.principals is empty on a gRPC port`);
            for (const x of pr) if (x !== ORCHESTRATION_PRINCIPAL) fail(`${id(ap)}: spec.rules[${ri}].from[${fi}]: principal ${x} may not call an agent`);
          }
        }
      }
    }
  });
  check('istio: agents accept orchestration only, admin ports stay scrapable', (fail) => {
    const other = `cluster.local/ns/${NAMESPACE}/sa/research`;
    for (const a of AGENTS) {
      const p = podByName(a);
      if (!p) continue;
      const grpc = SERVICES[a].grpc;
      const mode = effectiveMtls(docs, p, grpc);
      if (mode === 'DISABLE') fail(`${a}: PeerAuthentication DISABLE on ${grpc} leaves no Istio principal, so the principals rule can never match`);
      if (!istioAllows(docs, p, { principal: ORCHESTRATION_PRINCIPAL, port: grpc })) fail(`${a}: orchestration is refused on ${grpc}`);
      if (istioAllows(docs, p, { principal: other, port: grpc })) fail(`${a}: ${other} is allowed on ${grpc}`);
      if (istioAllows(docs, p, { principal: undefined, port: grpc })) fail(`${a}: a caller without Istio mTLS is allowed on ${grpc}`);
      if (istioAllows(docs, p, { principal: ORCHESTRATION_PRINCIPAL, port: 9999 })) fail(`${a}: an unlisted port (9999) is allowed`);
      if (!istioAllows(docs, p, { principal: undefined, port: SERVICES[a].admin })) fail(`${a}: admin port ${SERVICES[a].admin} is closed to Prometheus outside the mesh`);
    }
    for (const pa of byKind('PeerAuthentication')) {
      if (pa.spec.mtls?.mode === 'STRICT' && !pa.spec.selector) fail(`${id(pa)}: namespace-wide STRICT would refuse plaintext probes and scrapes on the admin ports`);
    }
  });

  // --- SPIRE ---
  const ids = byKind('ClusterSPIFFEID');
  check('spire: ClusterSPIFFEIDs give each service its SPIFFE ID', (fail) => {
    if (!expect.spire) {
      if (ids.length) fail('ClusterSPIFFEIDs are expected only in overlays that include k8s/spire');
      return;
    }
    const ns = byKind('Namespace').find((n) => n.metadata.name === NAMESPACE);
    const nsLabels = { 'kubernetes.io/metadata.name': NAMESPACE, ...(ns?.metadata?.labels ?? {}) };
    for (const c of ids) {
      if (c.spec.spiffeIDTemplate !== SPIFFE_ID_TEMPLATE) fail(`${id(c)}: spec.spiffeIDTemplate must be ${SPIFFE_ID_TEMPLATE}`);
      if (!c.spec.className) fail(`${id(c)}: spec.className must name the controller manager's class (a chart install ignores classless ones)`);
      if (c.spec.admin === true || c.spec.downstream === true) fail(`${id(c)}: admin/downstream identities are not for application pods`);
      if (!c.spec.namespaceSelector || !selects(c.spec.namespaceSelector, nsLabels)) fail(`${id(c)}: spec.namespaceSelector must select namespace ${NAMESPACE}`);
      if (isEmptySelector(c.spec.podSelector)) fail(`${id(c)}: spec.podSelector must select by label`);
    }
    for (const p of pods) {
      const covering = ids.filter((c) => !isEmptySelector(c.spec.podSelector) && selects(c.spec.podSelector, p.labels));
      if (covering.length !== 1) {
        fail(`${p.name}: selected by ${covering.length} ClusterSPIFFEIDs, expected exactly 1`);
        continue;
      }
      const rendered = covering[0].spec.spiffeIDTemplate.replace('{{ .PodMeta.Namespace }}', p.namespace).replace('{{ .PodSpec.ServiceAccountName }}', p.serviceAccount);
      const wantId = `spiffe://${TRUST_DOMAIN}/ns/${NAMESPACE}/sa/${p.name}`;
      if (rendered !== wantId) fail(`${p.name}: would get ${rendered}, expected ${wantId}`);
    }
  });

  return results;
}

// ---------------------------------------------------------------------------------------------
// Self-test: the checks must reject known-bad input and accept the real manifests
// ---------------------------------------------------------------------------------------------
const clone = (x) => structuredClone(x);
const find = (docs, kind, name) => docs.find((d) => d.kind === kind && d.metadata.name === name);

/** Each case: a mutation of the kind overlay's documents and a text the failures must contain. */
export const MUTATIONS = [
  ['research without readOnlyRootFilesystem', (docs) => delete find(docs, 'Deployment', 'research').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, 'readOnlyRootFilesystem must be true'],
  ['synthesis without the SPIFFE CSI volume', (docs) => { const s = find(docs, 'Deployment', 'synthesis').spec.template.spec; s.volumes = s.volumes.filter((v) => !v.csi); }, 'is not defined'],
  ['verification with a hostPath volume', (docs) => find(docs, 'Deployment', 'verification').spec.template.spec.volumes.push({ name: 'host', hostPath: { path: '/' } }), 'volumes[2].hostPath: unknown field'],
  ['orchestration with a boolean annotation', (docs) => { find(docs, 'Deployment', 'orchestration').spec.template.metadata.annotations['prometheus.io/scrape'] = true; }, 'expected string, got boolean'],
  ['orchestration without a liveness probe', (docs) => delete find(docs, 'Deployment', 'orchestration').spec.template.spec.containers[0].livenessProbe, 'livenessProbe: missing'],
  ['research without memory limit', (docs) => delete find(docs, 'Deployment', 'research').spec.template.spec.containers[0].resources.limits.memory, 'resources.limits.memory is missing'],
  ['research gRPC port named grpc', (docs) => { find(docs, 'Service', 'research').spec.ports[0].name = 'grpc'; }, 'carries app-level TLS'],
  ['no default-deny NetworkPolicy', (docs) => docs.splice(docs.indexOf(find(docs, 'NetworkPolicy', 'default-deny-all')), 1), 'no NetworkPolicy with podSelector: {}'],
  ['fetchers may reach the metadata service', (docs) => { const b = find(docs, 'NetworkPolicy', 'fetchers-egress-public-web').spec.egress[0].to[0].ipBlock; b.except = b.except.filter((e) => e !== '169.254.0.0/16'); }, 'metadata 169.254.169.254:80: allowed'],
  ['agent ingress label typo', (docs) => { find(docs, 'NetworkPolicy', 'research-ingress-from-orchestration').spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/name'] = 'orchestrator'; }, 'selects no pod of the build'],
  ['PeerAuthentication DISABLE', (docs) => { find(docs, 'PeerAuthentication', 'default').spec.mtls.mode = 'DISABLE'; }, 'leaves no Istio principal'],
  ['AuthorizationPolicy with an HTTP method', (docs) => { find(docs, 'AuthorizationPolicy', 'research-allow-orchestration').spec.rules[0].to[0].operation.methods = ['POST']; }, 'operation.methods is an HTTP attribute'],
  ['AuthorizationPolicy for the wrong caller', (docs) => { find(docs, 'AuthorizationPolicy', 'synthesis-allow-orchestration').spec.rules[0].from[0].source.principals = [`cluster.local/ns/${NAMESPACE}/sa/research`]; }, 'may not call an agent'],
  ['ClusterSPIFFEID with a fixed ID', (docs) => { find(docs, 'ClusterSPIFFEID', 'stats-agent-research').spec.spiffeIDTemplate = `spiffe://${TRUST_DOMAIN}/research`; }, 'spec.spiffeIDTemplate must be'],
  ['ClusterSPIFFEID without class', (docs) => delete find(docs, 'ClusterSPIFFEID', 'stats-agent-verification').spec.className, 'spec.className must name'],
  ['literal API key in the environment', (docs) => find(docs, 'Deployment', 'synthesis').spec.template.spec.containers[0].env.push({ name: 'OPENAI_API_KEY', value: 'sk-test' }), 'has a literal value'],
  ['grace period shorter than the drain', (docs) => { find(docs, 'Deployment', 'verification').spec.template.spec.terminationGracePeriodSeconds = 10; }, 'shorter than preStop + drain'],
];

/**
 * Fixtures on disk: each must be rejected by the strict check at the given path, alone; and in
 * place of its namesake in the kind overlay, the semantic checks must also see the hole it opens
 * (as the API server would run it: unknown fields dropped).
 */
export const FIXTURES = [
  ['k8s/testdata/bad-authz.yaml', 'spec.rules[0].from[0].source.principal: unknown field', 'cluster.local/ns/stats-agent/sa/research is allowed on 8001'],
  ['k8s/testdata/bad-netpol.yaml', 'spec.podSelector.matchLabel: unknown field', 'ingress of synthesis admits orchestration on 8001: allowed'],
];

function failuresOf(results) {
  return results.flatMap((r) => r.errors.map((e) => `${r.name}: ${e}`));
}

export function selfTest(log = console.log) {
  const kind = TARGETS.find((t) => t.name === 'overlays/kind');
  const good = renderTarget(kind.dir);
  const tests = [];
  const test = (name, fn) => {
    try {
      const problem = fn();
      tests.push({ name, ok: !problem, problem });
    } catch (err) {
      tests.push({ name, ok: false, problem: err instanceof Error ? err.message : String(err) });
    }
  };

  test('the real kind overlay passes', () => {
    const f = failuresOf(validateDocs(good, kind.expect));
    return f.length ? `unexpected failures:\n    ${f.join('\n    ')}` : undefined;
  });
  for (const [file, wanted, consequence] of FIXTURES) {
    const fixture = yamlToDocs(readFileSync(join(ROOT, file), 'utf8'));
    test(`${file} is rejected alone (${wanted})`, () => {
      const f = failuresOf(validateDocs(fixture, { spire: false }));
      return f.some((x) => x.includes(wanted)) ? undefined : `expected a failure containing "${wanted}", got:\n    ${f.join('\n    ') || '(none)'}`;
    });
    test(`${file} is rejected in place of its namesake in the kind overlay`, () => {
      const docs = clone(good);
      for (const bad of fixture) {
        const i = docs.findIndex((d) => d.kind === bad.kind && d.metadata.name === bad.metadata.name);
        if (i < 0) return `fixture ${bad.kind}/${bad.metadata.name} has no namesake in the overlay`;
        docs[i] = bad;
      }
      const f = failuresOf(validateDocs(docs, kind.expect));
      const missing = [wanted, consequence].filter((w) => !f.some((x) => x.includes(w)));
      return missing.length ? `expected failures containing ${missing.map((m) => `"${m}"`).join(' and ')}, got:\n    ${f.join('\n    ')}` : undefined;
    });
  }
  for (const [name, mutate, wanted] of MUTATIONS) {
    test(`mutation rejected: ${name}`, () => {
      const docs = clone(good);
      mutate(docs);
      const f = failuresOf(validateDocs(docs, kind.expect));
      return f.some((x) => x.includes(wanted)) ? undefined : `expected a failure containing "${wanted}", got:\n    ${f.join('\n    ') || '(none)'}`;
    });
  }
  for (const t of tests) log(`${t.ok ? 'ok' : 'not ok'} - self-test: ${t.name}${t.ok ? '' : `\n    ${t.problem}`}`);
  return { passed: tests.filter((t) => t.ok).length, failed: tests.filter((t) => !t.ok).length };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------
export function validateTargets(log = console.log) {
  let passed = 0;
  let failed = 0;
  for (const t of TARGETS) {
    const docs = renderTarget(t.dir);
    log(`# ${t.dir}: ${docs.length} documents (${[...new Set(docs.map((d) => d.kind))].join(', ')})`);
    for (const r of validateDocs(docs, t.expect)) {
      if (r.errors.length === 0) {
        passed++;
        log(`ok - ${t.name}: ${r.name}`);
      } else {
        failed++;
        log(`not ok - ${t.name}: ${r.name}`);
        for (const e of r.errors) log(`    ${e}`);
      }
    }
  }
  return { passed, failed };
}

function main(argv) {
  const selfTestMode = argv.includes('--self-test');
  const unknown = argv.filter((a) => a !== '--self-test');
  if (unknown.length) {
    console.error(`usage: node ${relative(process.cwd(), fileURLToPath(import.meta.url))} [--self-test]`);
    return 2;
  }
  try {
    const { passed, failed } = selfTestMode ? selfTest() : validateTargets();
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof ToolError) {
      console.error(`validate: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = main(process.argv.slice(2));
}
