"""The CDK app: settings, constructs (resources) and stacks (composition)."""
