#!/usr/bin/env python3
"""An app of a user's own that stores orders with encrypted_s3, proved at every synth.

Two instances with different settings: "Orders" (SSE-KMS, strict headers; its key in a
stack of its own, apart from the bucket) read by the app's reader function and written
by its writer function, and "Archive" (DSSE-KMS with its own key, a write-only archive
the writer fills). The ProofPlugin proves both at synthesis (examples/orders/weakened.py:
the same app with a statement of the user's own that the plugin refutes).

    cdk synth --app "python examples/orders/orders_app.py"     (from the repository root)
"""

from __future__ import annotations

from typing import Any

from aws_cdk import App, Environment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from encrypted_s3 import EncryptedStorage, ProofPlugin, StorageKey, storage_settings, synth

ENV = Environment(account="111122223333", region="eu-west-1")
WRITER = "arn:aws:iam::111122223333:role/orders-writer"
READER = "arn:aws:iam::111122223333:role/orders-reader"
ORDERS = storage_settings(
    "orders", encryption="sse-kms", header_policy="strict", readers=[READER], writers=[WRITER]
)
ARCHIVE = storage_settings(
    "archive",
    encryption="dsse-kms",
    header_policy="default-aware",
    readers=[],
    writers=[WRITER],
    write_only_archive=True,
)
HANDLER = """
import os, boto3
s3 = boto3.client("s3")
def handler(event, context):
    if os.environ["MODE"] == "write":
        s3.put_object(Bucket=os.environ["BUCKET"], Key=event["key"], Body=event["body"].encode(),
                      ServerSideEncryption="aws:kms", SSEKMSKeyId=os.environ["KEY_ARN"])
        return {"stored": event["key"]}
    body = s3.get_object(Bucket=os.environ["BUCKET"], Key=event["key"])["Body"].read()
    return {"body": body.decode()}
"""


class OrdersKeyStack(Stack):
    """Stateful: the orders key, in a stack of its own."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.key = StorageKey(self, "OrdersKey", settings=ORDERS)


class OrdersStack(Stack):
    """The two buckets and the functions that use them."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key: StorageKey, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.orders = orders = EncryptedStorage(self, "Orders", settings=ORDERS, key=key)
        archive = EncryptedStorage(self, "Archive", settings=ARCHIVE)
        writer = self._function("Writer", WRITER, "write", orders)
        orders.bucket.grant_put(writer)
        archive.bucket.grant_put(writer)
        reader = self._function("Reader", READER, "read", orders)
        orders.bucket.grant_read(reader)

    def _function(
        self, name: str, role_arn: str, mode: str, storage: EncryptedStorage
    ) -> lambda_.Function:
        role = iam.Role(
            self,
            f"{name}Role",
            role_name=role_arn.rsplit("/", 1)[1],  # the name the settings declare
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        key = storage.storage_key
        return lambda_.Function(
            self,
            name,
            runtime=lambda_.Runtime.PYTHON_3_13,
            handler="index.handler",
            code=lambda_.Code.from_inline(HANDLER),
            role=role,
            environment={
                "MODE": mode,
                "BUCKET": storage.bucket.bucket_name,
                "KEY_ARN": key.key.key_arn if key else "",
            },
        )


def build(app: App) -> OrdersStack:
    """The user's stacks: the key in one, the buckets and functions in the other."""
    keys = OrdersKeyStack(app, "OrdersKey", env=ENV)
    return OrdersStack(app, "Orders", key=keys.key, env=ENV)


def main() -> None:
    app = App()
    Validations.of(app).add_plugins(ProofPlugin())  # every instance proved at synth
    build(app)
    synth(app)  # app.synth(), and one line instead of a traceback if a proof fails


if __name__ == "__main__":
    main()
