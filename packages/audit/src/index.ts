// @stats-agent/audit: see package.json for what it holds.
export {};
