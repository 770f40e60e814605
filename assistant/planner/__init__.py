"""The offline planner: understands what a marketer types and plans tool calls, without a language model."""
