import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/**
 * Source reputation: an ordered list of tiers, each a set of domain patterns and a weight that
 * multiplies the relevance score. The first tier whose pattern matches a domain wins; a domain no
 * tier names is "other" (weight 1). Patterns: `who.int` (that domain and its subdomains),
 * `*.gov` / `.gov` (any domain ending so).
 */
export interface Tier {
  name: string;
  weight: number;
  domains: string[];
}

export const OTHER_TIER = 'other';

export const DEFAULT_TIERS: readonly Tier[] = Object.freeze([
  {
    name: 'government',
    weight: 1.5,
    domains: [
      '.gov', '.gov.uk', '.gov.au', '.gov.in', '.gov.za', '.govt.nz', '.gc.ca', '.gouv.fr', '.gob.mx', '.gob.es',
      '.bund.de', 'destatis.de', 'insee.fr', 'istat.it', 'cbs.nl', 'scb.se', 'ssb.no', 'dst.dk', 'stat.fi',
      'statcan.gc.ca', 'abs.gov.au', 'stats.govt.nz', 'ons.gov.uk', 'ine.es', 'ibge.gov.br', 'stats.gov.cn', 'e-stat.go.jp',
      '.mil',
    ],
  },
  {
    name: 'intergovernmental',
    weight: 1.4,
    domains: [
      'who.int', 'un.org', 'undp.org', 'unicef.org', 'unesco.org', 'unep.org', 'unhcr.org', 'unfpa.org', 'fao.org',
      'ilo.org', 'wto.org', 'worldbank.org', 'imf.org', 'oecd.org', 'iea.org', 'irena.org', 'ipcc.ch', 'itu.int',
      'europa.eu', 'ecb.europa.eu', 'bis.org', 'wmo.int', 'iaea.org', 'adb.org', 'afdb.org', 'iadb.org', '.int',
    ],
  },
  {
    name: 'academic',
    weight: 1.3,
    domains: [
      '.edu', '.ac.uk', '.edu.au', '.ac.jp', '.edu.cn', '.ac.in',
      'nature.com', 'science.org', 'thelancet.com', 'nejm.org', 'bmj.com', 'jamanetwork.com', 'pnas.org', 'cell.com',
      'plos.org', 'springer.com', 'sciencedirect.com', 'wiley.com', 'tandfonline.com', 'arxiv.org', 'ssrn.com',
    ],
  },
  {
    name: 'research',
    weight: 1.2,
    domains: [
      'ourworldindata.org', 'pewresearch.org', 'brookings.edu', 'rand.org', 'nber.org', 'wri.org', 'gallup.com',
      'urban.org', 'kff.org', 'epi.org', 'chathamhouse.org', 'cfr.org', 'ember-climate.org', 'iiasa.ac.at', 'piie.com',
    ],
  },
]);

const tierFileSchema = z.object({
  tiers: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'must be a short lower-case name'),
        weight: z.number().min(0).max(10),
        domains: z.array(z.string().regex(/^(\*?\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'must be a domain or a .suffix')).max(10_000),
      }),
    )
    .min(1)
    .max(16)
    .refine((t) => !t.some((x) => x.name === OTHER_TIER), `"${OTHER_TIER}" is the implicit last tier`),
});

/**
 * Reads a tier file (`{"tiers": [{name, weight, domains}]}`) and merges it into `base`: a tier of
 * the same name gets the file's weight and extra domains, a new name is added after the others.
 * Throws naming the file and the problem.
 */
export async function loadTiers(file: string, base: readonly Tier[] = DEFAULT_TIERS): Promise<Tier[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`research: reputation tiers ${file}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = tierFileSchema.safeParse(data);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new Error(`research: reputation tiers ${file}: ${i?.path.join('.')}: ${i?.message}`);
  }
  const merged = base.map((t) => ({ ...t, domains: [...t.domains] }));
  for (const t of parsed.data.tiers) {
    const same = merged.find((m) => m.name === t.name);
    if (same) {
      same.weight = t.weight;
      same.domains.push(...t.domains);
    } else {
      merged.push({ ...t, domains: [...t.domains] });
    }
  }
  return merged;
}

export class Reputation {
  private readonly exact = new Map<string, Tier>();
  private readonly suffixes: Array<[string, Tier]> = [];

  constructor(readonly tiers: readonly Tier[] = DEFAULT_TIERS) {
    for (const tier of tiers) {
      for (const d of tier.domains) {
        const pattern = d.toLowerCase().replace(/^\*/, '');
        if (pattern.startsWith('.')) this.suffixes.push([pattern, tier]);
        else if (!this.exact.has(pattern)) this.exact.set(pattern, tier);
      }
    }
  }

  /** The tier of a domain: itself or its nearest parent named exactly, else the first matching suffix. */
  tierOf(domain: string): { name: string; weight: number; rank: number } {
    const host = domain.toLowerCase().replace(/\.$/, '');
    const labels = host.split('.');
    let found: Tier | undefined;
    for (let i = 0; i < labels.length - 1 && !found; i++) found = this.exact.get(labels.slice(i).join('.'));
    found ??= this.suffixes.find(([suffix]) => host.endsWith(suffix))?.[1];
    if (!found) return { name: OTHER_TIER, weight: 1, rank: this.tiers.length };
    return { name: found.name, weight: found.weight, rank: this.tiers.indexOf(found) };
  }
}
