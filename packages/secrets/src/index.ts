// @stats-agent/secrets: see package.json for what it holds.
export {};
