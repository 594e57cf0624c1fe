// @stats-agent/store: see package.json for what it holds.
export {};
