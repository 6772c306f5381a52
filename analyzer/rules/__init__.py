"""Rule packs: loading YAML rule files into compiled :class:`~analyzer.models.Rule` objects."""

from analyzer.rules.loader import RulePack, default_rules_dir, load_rule_file, load_rules, rule_from_dict

__all__ = ["RulePack", "default_rules_dir", "load_rule_file", "load_rules", "rule_from_dict"]
