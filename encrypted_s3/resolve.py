"""Replace CloudFormation intrinsics with concrete values for one placeholder environment.

The simulator needs real ARNs, so every Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
Fn::Split and Fn::ImportValue in the policies is resolved as if the stacks were deployed
to account 123456789012 in eu-west-1. Physical ids are made up but deterministic (a
bucket is named after its logical id, a key id is a UUID derived from its logical id), so
the same ARN comes out wherever a resource is referenced, including across stacks.

Anything else (Fn::If, Fn::FindInMap, Fn::GetAZs, ...) raises ResolveError naming the
intrinsic and where it was found: better no proof than a proof of a guessed policy.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_REGION = "eu-west-1"
PLACEHOLDER_PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

Templates = Mapping[str, Mapping[str, Any]]  # {stack name: template}


class ResolveError(ValueError):
    """An intrinsic or reference the resolver cannot turn into a concrete value."""


@dataclass(frozen=True)
class Env:
    account: str = PLACEHOLDER_ACCOUNT
    region: str = PLACEHOLDER_REGION
    partition: str = PLACEHOLDER_PARTITION

    @property
    def deploy_role_arn(self) -> str:
        """The CloudFormation execution role of a default `cdk bootstrap` (qualifier
        hnb659fds) here: the one principal the guard lets change the policies. Written by
        hand: the guard's own value in the templates is what the proofs check."""
        name = f"cdk-hnb659fds-cfn-exec-role-{self.account}-{self.region}"
        return f"arn:{self.partition}:iam::{self.account}:role/{name}"


PLACEHOLDER_ENV = Env()

# A namespace for the deterministic key ids; any fixed UUID would do.
_KEY_ID_NAMESPACE = uuid.UUID("7b0c5a52-4f1e-4a57-9d1c-6a0e8f3b2d11")

_NO_VALUE = object()  # Ref AWS::NoValue: the property is removed


class Resolver:
    """Resolves values of one set of stacks (a cloud assembly) in one environment."""

    def __init__(self, templates: Templates, env: Env = PLACEHOLDER_ENV) -> None:
        self.templates = templates
        self.env = env
        self._exports: dict[str, tuple[str, Any]] | None = None

    # -- public -----------------------------------------------------------------------

    def resolve(self, value: Any, stack: str, where: str = "") -> Any:
        """`value` taken from `stack`'s template, with every intrinsic replaced."""
        result = self._resolve(value, stack, where or stack)
        if result is _NO_VALUE:
            raise ResolveError(f"Ref AWS::NoValue as a whole value at {where or stack}")
        return result

    def ref(self, stack: str, logical_id: str, where: str = "") -> str:
        """The value `{"Ref": logical_id}` has in `stack`."""
        where = where or f"{stack}/{logical_id}"
        value = self._ref(stack, logical_id, where)
        if not isinstance(value, str):
            raise ResolveError(f"Ref {logical_id} is not a string at {where}: {value!r}")
        return value

    def get_att(self, stack: str, logical_id: str, attribute: str, where: str = "") -> str:
        return self._get_att(stack, logical_id, attribute, where or f"{stack}/{logical_id}")

    def resource(self, stack: str, logical_id: str, where: str = "") -> Mapping[str, Any]:
        resources = self.templates[stack].get("Resources", {})
        if logical_id not in resources:
            raise ResolveError(f"{where or stack}: no resource {logical_id!r} in stack {stack}")
        resource: Mapping[str, Any] = resources[logical_id]
        return resource

    # -- the walk ---------------------------------------------------------------------

    def _resolve(self, value: Any, stack: str, where: str) -> Any:
        if isinstance(value, list):
            resolved = [self._resolve(v, stack, f"{where}[{i}]") for i, v in enumerate(value)]
            return [v for v in resolved if v is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref" or name.startswith("Fn::"):
                return self._intrinsic(name, arg, stack, f"{where}/{name}")
        items = {k: self._resolve(v, stack, f"{where}/{k}") for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not _NO_VALUE}

    def _intrinsic(self, name: str, arg: Any, stack: str, where: str) -> Any:
        handler = {
            "Ref": self._fn_ref,
            "Fn::GetAtt": self._fn_get_att,
            "Fn::Join": self._fn_join,
            "Fn::Sub": self._fn_sub,
            "Fn::Select": self._fn_select,
            "Fn::Split": self._fn_split,
            "Fn::ImportValue": self._fn_import_value,
        }.get(name)
        if handler is None:
            raise ResolveError(
                f"unsupported intrinsic {name} at {where}: the proof resolves only Ref, "
                "Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and Fn::ImportValue"
            )
        return handler(arg, stack, where)

    def _string(self, value: Any, stack: str, where: str) -> str:
        result = self._resolve(value, stack, where)
        if not isinstance(result, str):
            raise ResolveError(f"expected a string at {where}, got {result!r}")
        return result

    # -- intrinsics -------------------------------------------------------------------

    def _fn_ref(self, arg: Any, stack: str, where: str) -> Any:
        if not isinstance(arg, str):
            raise ResolveError(f"Ref takes a name, got {arg!r} at {where}")
        return self._ref(stack, arg, where)

    def _fn_get_att(self, arg: Any, stack: str, where: str) -> str:
        if isinstance(arg, str):  # the short form "Logical.Attribute"
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ResolveError(f"Fn::GetAtt takes [logical id, attribute], got {arg!r} at {where}")
        logical_id, attribute = arg[0], self._string(arg[1], stack, where)
        return self._get_att(stack, logical_id, attribute, where)

    def _fn_join(self, arg: Any, stack: str, where: str) -> str:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ResolveError(f"Fn::Join takes [delimiter, [values]], got {arg!r} at {where}")
        delimiter = self._string(arg[0], stack, where)
        values = self._resolve(arg[1], stack, where)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ResolveError(f"Fn::Join needs a list of strings at {where}, got {values!r}")
        return delimiter.join(values)

    _SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")

    def _fn_sub(self, arg: Any, stack: str, where: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, str):
            text = arg
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text = arg[0]
            variables = {k: self._resolve(v, stack, f"{where}/{k}") for k, v in arg[1].items()}
        else:
            raise ResolveError(f"Fn::Sub takes a string or [string, {{vars}}] at {where}")
        if not isinstance(text, str):
            raise ResolveError(f"Fn::Sub needs a literal string at {where}, got {text!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} stands for the text ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                value = self._get_att(stack, logical_id, attribute, where)
            else:
                value = self._ref(stack, name, where)
            if not isinstance(value, str):
                raise ResolveError(f"Fn::Sub variable {name} is not a string at {where}")
            return value

        return self._SUB_VARIABLE.sub(substitute, text)

    def _fn_select(self, arg: Any, stack: str, where: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ResolveError(f"Fn::Select takes [index, [values]], got {arg!r} at {where}")
        index = int(self._resolve(arg[0], stack, where))
        values = self._resolve(arg[1], stack, where)
        if not isinstance(values, list) or not 0 <= index < len(values):
            raise ResolveError(f"Fn::Select index {index} out of range at {where}")
        return values[index]

    def _fn_split(self, arg: Any, stack: str, where: str) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ResolveError(f"Fn::Split takes [delimiter, string], got {arg!r} at {where}")
        return self._string(arg[1], stack, where).split(self._string(arg[0], stack, where))

    def _fn_import_value(self, arg: Any, stack: str, where: str) -> Any:
        name = self._string(arg, stack, where)
        exports = self._all_exports()
        if name not in exports:
            raise ResolveError(f"Fn::ImportValue {name!r} at {where}: no stack exports it")
        exporting_stack, value = exports[name]
        return self.resolve(value, exporting_stack, f"{exporting_stack}/Outputs[{name}]")

    def _all_exports(self) -> dict[str, tuple[str, Any]]:
        if self._exports is None:
            exports: dict[str, tuple[str, Any]] = {}
            for stack, template in self.templates.items():
                for output_id, output in template.get("Outputs", {}).items():
                    if "Export" in output:
                        where = f"{stack}/Outputs/{output_id}/Export/Name"
                        name = self._string(output["Export"]["Name"], stack, where)
                        exports[name] = (stack, output["Value"])
            self._exports = exports
        return self._exports

    # -- references -------------------------------------------------------------------

    def _pseudo(self, stack: str, name: str) -> Any:
        env = self.env
        return {
            "AWS::AccountId": env.account,
            "AWS::Region": env.region,
            "AWS::Partition": env.partition,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": stack,
            "AWS::StackId": (
                f"arn:{env.partition}:cloudformation:{env.region}:{env.account}:stack/{stack}/"
                + str(uuid.uuid5(_KEY_ID_NAMESPACE, f"stack:{stack}"))
            ),
            "AWS::NoValue": _NO_VALUE,
        }.get(name)

    def _ref(self, stack: str, name: str, where: str) -> Any:
        if name.startswith("AWS::"):
            value = self._pseudo(stack, name)
            if value is None:
                raise ResolveError(f"unsupported pseudo parameter {name} at {where}")
            return value
        template = self.templates[stack]
        parameters = template.get("Parameters", {})
        if name in parameters:
            if "Default" not in parameters[name]:
                raise ResolveError(f"parameter {name} has no Default at {where}")
            return parameters[name]["Default"]
        resource = self.resource(stack, name, where)
        return self._physical_id(stack, name, resource, where)

    def _physical_id(
        self, stack: str, logical_id: str, resource: Mapping[str, Any], where: str
    ) -> str:
        """What Ref returns for a resource: its name, or its id for a KMS key."""
        kind = resource["Type"]
        props = resource.get("Properties", {})
        name_property = {
            "AWS::S3::Bucket": "BucketName",
            "AWS::IAM::Role": "RoleName",
            "AWS::IAM::Policy": "PolicyName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::Logs::LogGroup": "LogGroupName",
            "AWS::KMS::Alias": "AliasName",
        }.get(kind)
        if name_property and name_property in props:
            return self._string(props[name_property], stack, f"{where}/{name_property}")
        if kind == "AWS::IAM::ManagedPolicy":
            name = props.get("ManagedPolicyName", f"{stack}-{logical_id}")
            return f"arn:{self.env.partition}:iam::{self.env.account}:policy/{name}"
        if kind == "AWS::KMS::Key":
            return str(uuid.uuid5(_KEY_ID_NAMESPACE, f"{stack}/{logical_id}"))
        if kind == "AWS::S3::Bucket":
            return logical_id.lower()  # a valid bucket name: lower case letters and digits
        # CloudFormation's generated names look like <stack>-<logical id>-<suffix>.
        return f"{stack}-{logical_id}"

    def _get_att(self, stack: str, logical_id: str, attribute: str, where: str) -> str:
        resource = self.resource(stack, logical_id, where)
        kind = resource["Type"]
        name = self._physical_id(stack, logical_id, resource, where)
        p, r, a = self.env.partition, self.env.region, self.env.account
        arns = {
            "AWS::S3::Bucket": f"arn:{p}:s3:::{name}",
            "AWS::KMS::Key": f"arn:{p}:kms:{r}:{a}:key/{name}",
            "AWS::IAM::Role": f"arn:{p}:iam::{a}:role/{name}",
            "AWS::Lambda::Function": f"arn:{p}:lambda:{r}:{a}:function:{name}",
            "AWS::Logs::LogGroup": f"arn:{p}:logs:{r}:{a}:log-group:{name}:*",
        }
        attributes: dict[tuple[str, str], str] = {
            (kind, "Arn"): arns.get(kind, ""),
            ("AWS::KMS::Key", "KeyId"): name,
            ("AWS::IAM::Role", "RoleId"): "AROA" + uuid.uuid5(_KEY_ID_NAMESPACE, name).hex[:17],
            ("AWS::S3::Bucket", "DomainName"): f"{name}.s3.{URL_SUFFIX}",
            ("AWS::S3::Bucket", "RegionalDomainName"): f"{name}.s3.{r}.{URL_SUFFIX}",
        }
        value = attributes.get((kind, attribute))
        if not value:
            raise ResolveError(f"unsupported attribute {kind}.{attribute} at {where}")
        return value
