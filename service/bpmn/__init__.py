"""BPMN as drawn: hardened XML loading, the Camunda-dialect parser, static inspection and validation."""
