// Tables for findQuantities: how units, currencies and scale words are written, and the one
// spelling each is normalized to. Order matters: longer and more specific spellings first.

export interface UnitPattern {
  readonly re: RegExp;
  readonly unit: string | ((m: RegExpExecArray) => string);
}

const END = String.raw`(?![\p{L}\p{N}])`;

/** A unit written after the number, optionally after up to two whitespace characters. */
function unit(src: string, normalized: UnitPattern['unit'], caseInsensitive = false): UnitPattern {
  return { re: new RegExp(String.raw`\s{0,2}(?:${src})${END}`, caseInsensitive ? 'iuy' : 'uy'), unit: normalized };
}
/** A unit that only counts written directly against the number ("1.5C", "3x"). */
function attached(src: string, normalized: string): UnitPattern {
  return { re: new RegExp(String.raw`(?:${src})${END}`, 'uy'), unit: normalized };
}

const METRE = String.raw`met(?:re|er)s?`;

export const UNITS: readonly UnitPattern[] = [
  // Percentages and points.
  unit('%|％', '%'),
  unit(String.raw`per\s?cent|percent|pct`, '%', true),
  unit(String.raw`percentage[- ]points?|p\.p\.|ppts?|pp`, 'pp'),
  unit(String.raw`basis\s+points?|bps|bp`, 'bp'),
  // Temperature and angles.
  unit(String.raw`°\s?C|℃|degrees?\s+(?:Celsius|centigrade)`, '°C'),
  unit(String.raw`°\s?F|℉|degrees?\s+Fahrenheit`, '°F'),
  attached('C', '°C'),
  attached('F', '°F'),
  unit('degrees?|°', '°'),
  // Speed.
  unit(String.raw`km\/h|km\/hr|kph|kmh`, 'km/h'),
  unit('mph', 'mph'),
  unit(String.raw`m\/s`, 'm/s'),
  // Area.
  unit(String.raw`(?:sq\.?|square)\s?(?:km|kilomet(?:re|er)s?)|km²|km2`, 'km²', true),
  unit(String.raw`(?:sq\.?|square)\s?(?:mi|miles?)|mi²`, 'mi²', true),
  unit(String.raw`(?:sq\.?|square)\s?(?:ft|feet)|ft²`, 'ft²', true),
  unit(String.raw`(?:sq\.?|square)\s?(?:m|${METRE})|m²|m2`, 'm²'),
  unit('hectares?|ha', 'ha'),
  unit('acres?', 'acres', true),
  // Volume.
  unit(String.raw`m³|m3|cubic\s+${METRE}`, 'm³'),
  unit('bcm', 'bcm'),
  unit(String.raw`(?:barrels?|bbl)\s+(?:per|a)\s+day|bpd|b\/d`, 'bbl/d', true),
  unit('barrels?|bbl', 'bbl', true),
  unit('millilit(?:re|er)s?|mL|ml', 'mL'),
  unit('lit(?:re|er)s?|L', 'L'),
  unit('gallons?|gal', 'gal', true),
  // Energy and power.
  unit('kWh|kwh|KWh|kilowatt[- ]hours?', 'kWh'),
  unit('MWh|megawatt[- ]hours?', 'MWh'),
  unit('GWh|gigawatt[- ]hours?', 'GWh'),
  unit('TWh|terawatt[- ]hours?', 'TWh'),
  unit('PWh', 'PWh'),
  unit('kW|kilowatts?', 'kW'),
  unit('MW|megawatts?', 'MW'),
  unit('GW|gigawatts?', 'GW'),
  unit('TW|terawatts?', 'TW'),
  unit('W|watts?', 'W'),
  unit('EJ|exajoules?', 'EJ'),
  unit('PJ|petajoules?', 'PJ'),
  unit('GJ|gigajoules?', 'GJ'),
  unit('MJ|megajoules?', 'MJ'),
  unit('kJ|kilojoules?', 'kJ'),
  unit('Mtoe', 'Mtoe'),
  unit('kcal', 'kcal'),
  unit('calories?', 'calories', true),
  // Concentration.
  unit(String.raw`[µμu]g\/m[³3]`, 'µg/m³'),
  unit(String.raw`mg\/L`, 'mg/L'),
  unit('ppm', 'ppm'),
  unit('ppb', 'ppb'),
  // Mass and emissions.
  unit(String.raw`([kMG]?t)\s?CO2(e|-eq|eq)?`, (m) => `${m[1] ?? 't'}CO2${m[2] === undefined ? '' : 'e'}`),
  unit('Gt|gigatonnes?', 'Gt'),
  unit('Mt|megatonnes?', 'Mt'),
  unit('kt|kilotonnes?', 'kt'),
  unit(String.raw`tonnes?|metric\s+tons?|tons?|t`, 't'),
  unit('kg|kilograms?|kilogrammes?|kilos', 'kg'),
  unit('mg|milligrams?', 'mg'),
  unit('g|grams?', 'g'),
  unit('lbs?', 'lb'),
  // Length.
  unit(String.raw`nautical\s+miles?|nmi`, 'nmi', true),
  unit(`km|kilo${METRE}`, 'km'),
  unit(`mm|milli${METRE}`, 'mm'),
  unit(`cm|centi${METRE}`, 'cm'),
  unit(`nm|nano${METRE}`, 'nm'),
  unit(`[µμ]m|microns?|micro${METRE}`, 'µm'),
  unit(`m|${METRE}`, 'm'),
  unit('miles?|mi', 'mi'),
  unit('ft|feet|foot', 'ft'),
  unit('inch(?:es)?', 'in'),
  unit('yards?|yd', 'yd'),
  // Data.
  unit('Tbps|Gbps|Mbps|kbps', ''),
  unit('PB|TB|GB|MB|kB|KB', ''),
  // Time.
  unit('years?|yrs?', 'years', true),
  unit('months?', 'months', true),
  unit('weeks?|wks?', 'weeks', true),
  unit('days?', 'days', true),
  unit('hours?|hrs?|h', 'hours', true),
  unit('minutes?|mins?', 'minutes', true),
  unit('seconds?|secs?', 'seconds', true),
  // Multiples.
  unit('times', 'x', true),
  attached('[x×]', 'x'),
  // Counts of things.
  unit('people|persons?|individuals', 'people', true),
  unit('live\\s+births', 'live births', true),
  unit(
    [
      'residents', 'inhabitants', 'citizens', 'deaths', 'fatalities', 'births', 'cases', 'infections',
      'jobs', 'workers', 'employees', 'households', 'homes', 'houses', 'dwellings', 'users',
      'customers', 'subscribers', 'students', 'pupils', 'children', 'adults', 'women', 'men', 'girls',
      'boys', 'patients', 'visitors', 'tourists', 'passengers', 'vehicles', 'cars', 'species',
      'countries', 'nations', 'cities', 'companies', 'firms', 'businesses', 'hospitals', 'schools',
      'trees', 'animals', 'refugees', 'migrants', 'votes', 'voters', 'members', 'beds', 'doctors',
      'nurses', 'farms', 'units', 'respondents', 'participants', 'population',
    ].join('|'),
    (m) => m[0].trim().toLowerCase(),
    true,
  ),
];

// Units from the table whose empty normalization above means "as written" (data sizes).
export function unitName(p: UnitPattern, m: RegExpExecArray): string {
  if (typeof p.unit === 'function') return p.unit(m);
  return p.unit === '' ? m[0].trim() : p.unit;
}

/** Scale words after a number (spaced or attached): "1.2 million", "3bn", "15 thousand". */
export const SCALE_AFTER = new RegExp(String.raw`\s{0,2}(thousand|million|billion|trillion|lakh|crore|bn|bln|mn|mln|tn)${END}`, 'iuy');
/** Single-letter scales, attached only: k/K and M/B always; m/b only after a currency ("$3m"). */
export const SCALE_LETTER = new RegExp(String.raw`([kKMBmb])${END}`, 'uy');

/** Currency symbols and codes written before a number, with the ISO code they mean. */
export const CURRENCY_BEFORE = new RegExp(
  String.raw`(?:(?<![\p{L}\p{N}])(US|A|AU|C|CA|NZ|HK|S|R)?\$|([€£¥₹₩])|(?<![\p{L}\p{N}])(USD|EUR|GBP|JPY|CNY|RMB|INR|CHF|CAD|AUD)\s?)\s?$`,
  'u',
);
export const DOLLAR_PREFIX: ReadonlyMap<string, string> = new Map([
  ['', 'USD'], ['US', 'USD'], ['A', 'AUD'], ['AU', 'AUD'], ['C', 'CAD'], ['CA', 'CAD'],
  ['NZ', 'NZD'], ['HK', 'HKD'], ['S', 'SGD'], ['R', 'BRL'],
]);
export const CURRENCY_SYMBOL: ReadonlyMap<string, string> = new Map([
  ['€', 'EUR'], ['£', 'GBP'], ['¥', 'JPY'], ['₹', 'INR'], ['₩', 'KRW'], ['RMB', 'CNY'],
]);

/** Currency names and codes written after a number: "1,250 USD", "45 million euros". */
export const CURRENCY_AFTER: readonly UnitPattern[] = [
  unit(String.raw`USD|US\$|US\s+dollars?|U\.S\.\s+dollars?|dollars?`, 'USD', true),
  unit('EUR|euros?|€', 'EUR', true),
  unit(String.raw`GBP|pounds\s+sterling|sterling`, 'GBP', true),
  unit('JPY|yen', 'JPY', true),
  unit('CNY|RMB|yuan|renminbi', 'CNY', true),
  unit('INR|rupees?', 'INR', true),
  unit(String.raw`CHF|Swiss\s+francs?`, 'CHF', true),
  unit('CAD', 'CAD'),
  unit('AUD', 'AUD'),
];

/** Time words after "per"/"a", normalized to the singular. */
export const RATE_WORDS: ReadonlyMap<string, string> = new Map([
  ['years', 'year'], ['annum', 'year'], ['months', 'month'], ['weeks', 'week'], ['days', 'day'],
  ['hours', 'hour'], ['minutes', 'minute'], ['seconds', 'second'], ['persons', 'person'],
]);
