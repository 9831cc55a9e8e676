"""What the infrastructure tests share: the dev stacks' names, the stateful logical ids,
and the statements of a synthesized policy by Sid."""

from __future__ import annotations

from encrypted_s3 import names

KEY_STACK, BUCKET_STACK, UPLOADER_STACK = (names.stack_name("dev", stack) for stack in names.STACKS)
# Stateful logical ids: a change would replace the key or a bucket (and lose its data).
DATA_BUCKET_ID = "EncryptedBucketData6D2C902C"
LOG_BUCKET_ID = "EncryptedBucketAccessLogs4313EBDA"
KEY_LOGICAL_ID = "ProjectKey99EBDA78"


def resource(raw: dict, logical_id: str) -> dict:
    return raw["Resources"][logical_id]


def statements_of(raw: dict, resource_type: str, logical_id: str | None = None) -> dict[str, dict]:
    """Statements by Sid of the policy document of one resource."""
    for lid, res in raw["Resources"].items():
        if res["Type"] != resource_type:
            continue
        props = res["Properties"]
        if resource_type == "AWS::S3::BucketPolicy" and props["Bucket"] != {"Ref": logical_id}:
            continue
        document = props.get("PolicyDocument") or props.get("KeyPolicy")
        if document is None:  # a role: its inline policies
            document = {
                "Statement": [
                    s for p in props["Policies"] for s in p["PolicyDocument"]["Statement"]
                ]
            }
        return {s.get("Sid", f"<no sid in {lid}>"): s for s in document["Statement"]}
    raise AssertionError(f"no {resource_type} for {logical_id}")
