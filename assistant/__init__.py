"""The agent: the tool-calling loop, model clients, prompts and the offline planner."""
