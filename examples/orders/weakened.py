#!/usr/bin/env python3
"""The orders app with one bucket-policy statement of the user's own that weakens the
Orders instance: "no one tags orders" also refuses the declared writer's
PutObjectTagging, an ordinary write the settings promise it. The ProofPlugin fails the
synthesis naming the instance, the refuted property (declared-use), a counterexample and
the statement (NoTagging).

    cdk synth --app "python examples/orders/weakened.py"     (exits 1)
"""

from __future__ import annotations

from aws_cdk import App, Validations
from aws_cdk import aws_iam as iam
from orders_app import build

from encrypted_s3 import ProofPlugin, synth


def main() -> None:
    app = App()
    Validations.of(app).add_plugins(ProofPlugin())
    orders = build(app).orders
    orders.bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="NoTagging",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["s3:PutObjectTagging"],
            resources=[orders.bucket.arn_for_objects("*")],
        )
    )
    synth(app)  # app.synth(), and one line instead of a traceback if a proof fails


if __name__ == "__main__":
    main()
