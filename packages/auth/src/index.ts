// @stats-agent/auth: see package.json for what it holds.
export {};
