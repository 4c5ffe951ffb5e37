"""Pure CloudFormation knowledge: template YAML, message predicates, stack states,
change trees and root-cause diagnosis. No AWS calls."""
