"""The resolver on small hand-written templates: one test per supported intrinsic."""

from __future__ import annotations

import uuid

import pytest

from encrypted_s3.resolve import (
    PLACEHOLDER_ACCOUNT,
    PLACEHOLDER_REGION,
    Env,
    ResolveError,
    Resolver,
)

STACK = "Demo"

TEMPLATES = {
    STACK: {
        "Parameters": {"Stage": {"Type": "String", "Default": "beta"}},
        "Resources": {
            "DataBucketA1B2": {"Type": "AWS::S3::Bucket", "Properties": {}},
            "NamedBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "my-bucket"}},
            "KeyC3D4": {"Type": "AWS::KMS::Key", "Properties": {}},
            "OtherKey": {"Type": "AWS::KMS::Key", "Properties": {}},
            "Alias": {
                "Type": "AWS::KMS::Alias",
                "Properties": {"AliasName": {"Fn::Sub": "alias/app-${Stage}"}},
            },
            "RoleE5F6": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        },
        "Outputs": {
            "KeyArnOut": {
                "Value": {"Fn::GetAtt": ["KeyC3D4", "Arn"]},
                "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:KeyArn"}},
            }
        },
    },
    "Consumer": {"Resources": {}},
}


@pytest.fixture
def resolver() -> Resolver:
    return Resolver(TEMPLATES)


def key_id(resolver: Resolver, logical_id: str) -> str:
    return resolver.ref(STACK, logical_id)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AWS::AccountId", PLACEHOLDER_ACCOUNT),
        ("AWS::Region", PLACEHOLDER_REGION),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
        ("AWS::StackName", STACK),
    ],
)
def test_ref_pseudo_parameters(resolver, name, value):
    assert resolver.resolve({"Ref": name}, STACK) == value


def test_ref_pseudo_parameters_follow_the_environment():
    resolver = Resolver(TEMPLATES, Env(account="210987654321", region="us-east-2"))
    assert resolver.resolve({"Ref": "AWS::AccountId"}, STACK) == "210987654321"
    assert resolver.resolve({"Ref": "AWS::Region"}, STACK) == "us-east-2"


def test_ref_resources_give_physical_ids(resolver):
    assert resolver.resolve({"Ref": "DataBucketA1B2"}, STACK) == "databucketa1b2"
    assert resolver.resolve({"Ref": "NamedBucket"}, STACK) == "my-bucket"
    assert resolver.resolve({"Ref": "Alias"}, STACK) == "alias/app-beta"
    assert resolver.resolve({"Ref": "Stage"}, STACK) == "beta"  # a parameter's default


def test_key_ids_are_deterministic_uuids_per_logical_id(resolver):
    first = key_id(resolver, "KeyC3D4")
    assert uuid.UUID(first)
    assert first == key_id(Resolver(TEMPLATES), "KeyC3D4")
    assert first != key_id(resolver, "OtherKey")


def test_get_att_arns(resolver):
    key = key_id(resolver, "KeyC3D4")
    role = resolver.ref(STACK, "RoleE5F6")
    assert resolver.resolve({"Fn::GetAtt": ["DataBucketA1B2", "Arn"]}, STACK) == (
        "arn:aws:s3:::databucketa1b2"
    )
    assert resolver.resolve({"Fn::GetAtt": ["KeyC3D4", "Arn"]}, STACK) == (
        f"arn:aws:kms:{PLACEHOLDER_REGION}:{PLACEHOLDER_ACCOUNT}:key/{key}"
    )
    assert resolver.resolve({"Fn::GetAtt": "RoleE5F6.Arn"}, STACK) == (
        f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/{role}"
    )
    assert resolver.resolve({"Fn::GetAtt": ["Fn", "Arn"]}, STACK).startswith(
        f"arn:aws:lambda:{PLACEHOLDER_REGION}:{PLACEHOLDER_ACCOUNT}:function:"
    )
    assert resolver.resolve({"Fn::GetAtt": ["KeyC3D4", "KeyId"]}, STACK) == key


def test_get_att_of_an_unknown_attribute_is_an_error(resolver):
    with pytest.raises(ResolveError, match="AWS::S3::Bucket.WebsiteURL"):
        resolver.resolve({"Fn::GetAtt": ["DataBucketA1B2", "WebsiteURL"]}, STACK)


def test_join(resolver):
    value = {"Fn::Join": ["", [{"Fn::GetAtt": ["DataBucketA1B2", "Arn"]}, "/probe/*"]]}
    assert resolver.resolve(value, STACK) == "arn:aws:s3:::databucketa1b2/probe/*"


def test_sub_string_form(resolver):
    value = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${DataBucketA1B2}/${!NotAVar}"}
    assert resolver.resolve(value, STACK) == "arn:aws:s3:::databucketa1b2/${NotAVar}"
    assert resolver.resolve({"Fn::Sub": "${DataBucketA1B2.Arn}/*"}, STACK) == (
        "arn:aws:s3:::databucketa1b2/*"
    )


def test_sub_with_variables(resolver):
    value = {"Fn::Sub": ["s3.${Where}.${AWS::URLSuffix}", {"Where": {"Ref": "AWS::Region"}}]}
    assert resolver.resolve(value, STACK) == f"s3.{PLACEHOLDER_REGION}.amazonaws.com"


def test_select_and_split(resolver):
    arn = {"Fn::GetAtt": ["KeyC3D4", "Arn"]}
    value = {"Fn::Select": [1, {"Fn::Split": ["/", arn]}]}
    assert resolver.resolve(value, STACK) == key_id(resolver, "KeyC3D4")


def test_import_value_resolves_in_the_exporting_stack(resolver):
    value = {"Fn::ImportValue": "Demo:KeyArn"}
    assert resolver.resolve(value, "Consumer") == (
        f"arn:aws:kms:{PLACEHOLDER_REGION}:{PLACEHOLDER_ACCOUNT}:key/{key_id(resolver, 'KeyC3D4')}"
    )


def test_import_value_without_export_is_an_error(resolver):
    with pytest.raises(ResolveError, match="Demo:Nothing"):
        resolver.resolve({"Fn::ImportValue": "Demo:Nothing"}, "Consumer")


def test_no_value_removes_the_property(resolver):
    value = {"A": "kept", "B": {"Ref": "AWS::NoValue"}, "C": ["x", {"Ref": "AWS::NoValue"}]}
    assert resolver.resolve(value, STACK) == {"A": "kept", "C": ["x"]}


def test_unsupported_intrinsic_is_an_error_naming_it_and_where(resolver):
    policy = {"Statement": [{"Resource": {"Fn::If": ["IsProd", "a", "b"]}}]}
    with pytest.raises(ResolveError) as error:
        resolver.resolve(policy, STACK, "Demo/BucketPolicy")
    assert "unsupported intrinsic Fn::If" in str(error.value)
    assert "Demo/BucketPolicy/Statement[0]/Resource" in str(error.value)


def test_reference_to_a_missing_resource_is_an_error(resolver):
    with pytest.raises(ResolveError, match="NoSuchThing"):
        resolver.resolve({"Ref": "NoSuchThing"}, STACK)
