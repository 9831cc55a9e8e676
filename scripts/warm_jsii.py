"""Setup's background step: jsii's first start unpacks aws-cdk-lib's JavaScript into
~/.cache/aws/jsii (its slowest start), so the first synth does not pay it.

Ctrl-C during setup reaches this process too: it ends quietly (the default action of
SIGINT) instead of printing a KeyboardInterrupt traceback from inside jsii.
"""

import signal

signal.signal(signal.SIGINT, signal.SIG_DFL)

import aws_cdk  # noqa: E402, F401  (the import is the work)
import cdk_nag  # noqa: E402, F401
