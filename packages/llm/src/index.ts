// @stats-agent/llm: see package.json for what it holds.
export {};
