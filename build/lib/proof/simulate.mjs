// Runs every IAM request of a proof through @cloud-copilot/iam-simulate, in one process.
//
// stdin:  {"policies": {id: document}, "requests": [{id, action, principal, resource,
//          account, context, identity: [policy id], resourcePolicy: policy id | null}]}
// stdout: {"results": [{id, result, denials, grants, ignored, unsafe, error}]}
//
// `result`, `denials` and `grants` come from runSimulation (validated input, deciding
// statements). runSimulation drops context keys it does not recognise for the action and
// lists them in `ignored`; in 0.1.173 that includes kms:EncryptionContext:aws:s3:arn
// (its variable part contains ':'). `unsafe` is the decision of runUnsafeSimulation on
// the same input with every context key kept: the Python side uses it when keys were
// dropped and otherwise requires both to agree. No policy logic lives here.
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate'
import { readInput, runUnsafe, simulationOf } from './simulation.mjs'

const { policies, requests } = await readInput()

const statement = (s) => ({
  policy: s.policyType,
  sid: s.statementId ?? null,
  index: s.statementIndex ?? null,
  explicit: s.denialType ? s.denialType === 'Explicit' : null,
})

async function simulate(request) {
  const simulation = simulationOf(request, policies)
  const run = await runSimulation(simulation, {})
  if (run.resultType !== 'single') {
    return { id: request.id, error: run.resultType === 'error' ? JSON.stringify(run.errors) : `unexpected ${run.resultType} result` }
  }
  const analysis = run.result.analysis
  const unsafe = runUnsafe(simulation, request, policies)
  return {
    id: request.id,
    result: run.overallResult,
    denials: getDenialReasons(analysis).map(statement),
    grants: getGrantReasons(analysis).map(statement),
    ignored: run.result.ignoredContextKeys ?? [],
    unsafe,
  }
}

try {
  const results = []
  for (const request of requests) results.push(await simulate(request))
  process.stdout.write(JSON.stringify({ results }))
} catch (error) {
  process.stdout.write(JSON.stringify({ fatal: String(error?.stack ?? error) }))
  process.exitCode = 1
}
