#!/usr/bin/env node
// Writes the sample corpus's one PDF report (energy/offshore-wind-report-2023.pdf) with the same
// PDF writer the text package's tests use, so the binary in the repository can be rebuilt and
// reviewed as text. Run after `pnpm build`: node packages/corpus/scripts/make-sample-pdf.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makePdf } from '@stats-agent/text/testing';

const page1 = [
  'Offshore Wind Market Report 2023',
  '',
  'Offshore Energy Agency - annual market report, published March 2024',
  '',
  'Offshore wind capacity installed worldwide reached 75.2 GW at the end of 2023,',
  'up 16% from 64.8 GW a year earlier. New installations totalled 10.8 GW in 2023,',
  'the second highest annual figure on record after 2021.',
  '',
  'China accounted for 6.3 GW of the new capacity, or 58% of all offshore wind',
  'installed in the year. Europe added 3.8 GW, of which the United Kingdom connected',
  '833 MW and the Netherlands 1.9 GW.',
  '',
  'The average capacity of a new offshore turbine rose to 9.7 MW in 2023, compared',
  'with 8.5 MW in 2022. Turbines rated at 14 MW or more made up 12% of the turbines',
  'ordered during the year.',
];
const page2 = [
  'Costs and investment',
  '',
  'Final investment decisions were taken for 12.3 GW of new offshore projects in 2023,',
  'worth an estimated $76 billion. The levelised cost of electricity from offshore wind',
  'rose by 9% to $0.082 per kWh, the first increase in a decade, as interest rates and',
  'steel prices climbed.',
  '',
  'Floating offshore wind remained small: 236 MW were operating at the end of 2023, less',
  'than 1% of all offshore capacity. Projects totalling 2.4 GW of floating capacity are',
  'expected to be commissioned by 2030.',
  '',
  'Employment in the offshore wind supply chain was estimated at 310,000 jobs in 2023.',
  'Installation vessels remain a bottleneck: 32 vessels able to install turbines larger',
  'than 12 MW were in service, against an estimated need of 45 by 2027.',
  '',
  'Offshore Energy Agency - offshore-energy.example',
  'Sample page written for the Statistics Agent Team project; figures are illustrative.',
];
const out = fileURLToPath(new URL('../sample/energy/offshore-wind-report-2023.pdf', import.meta.url));
writeFileSync(out, makePdf([page1, page2], { title: 'Offshore Wind Market Report 2023 - Offshore Energy Agency' }));
process.stdout.write(`wrote ${out}\n`);
