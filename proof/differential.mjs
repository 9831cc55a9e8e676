// Decides many requests with @cloud-copilot/iam-simulate in one process, for the
// differential test of the universal proof's encoding. No policy logic lives here.
//
// stdin:  {"policies": {id: document}, "requests": [{id, action, principal, resource,
//          account, context, identity: [policy id], resourcePolicy: policy id | null}]}
// stdout: one JSON line per request: {id, result, ignored, unsafe?}
// `unsafe` (runUnsafeSimulation, every context key kept) is added only when
// runSimulation dropped context keys (kms:EncryptionContext:aws:s3:arn in 0.1.173).
import { runSimulation } from '@cloud-copilot/iam-simulate'
import { readInput, runUnsafe, simulationOf } from './simulation.mjs'

const { policies, requests } = await readInput()

for (const request of requests) {
  const simulation = simulationOf(request, policies)
  // An unsigned request: iam-simulate's anonymous principal.
  if (request.principal === 'anonymous') simulation.request.principal = { type: 'Anonymous' }
  const run = await runSimulation(simulation, {})
  const line = { id: request.id }
  if (run.resultType !== 'single') {
    line.error = run.resultType === 'error' ? JSON.stringify(run.errors) : `unexpected ${run.resultType} result`
  } else {
    line.result = run.overallResult
    line.ignored = run.result.ignoredContextKeys ?? []
    if (line.ignored.length > 0) {
      line.unsafe = runUnsafe(simulation, request, policies)
    }
  }
  process.stdout.write(JSON.stringify(line) + '\n')
}
