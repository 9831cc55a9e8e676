// The one way both simulator scripts (simulate.mjs, universal/differential.mjs) read
// their input, turn a request into iam-simulate's simulation, and run it unsafely (every
// context key kept). No policy logic here.
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

export async function readInput() {
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  return JSON.parse(input)
}

export function simulationOf(request, policies) {
  return {
    request: {
      action: request.action,
      principal: request.principal,
      resource: { resource: request.resource, accountId: request.account },
      contextVariables: request.context,
    },
    identityPolicies: request.identity.map((id) => ({ name: id, policy: policies[id] })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: policies[request.resourcePolicy] } : {}),
  }
}

// runUnsafeSimulation loads the resource policy without a name and then crashes reading
// it; a pre-validated policy carries the name (errors: [] because runSimulation has just
// validated the same document).
export function runUnsafe(simulation, request, policies) {
  return runUnsafeSimulation({
    ...simulation,
    ...(request.resourcePolicy ? {
      resourcePolicy: { __validated: true, policyDocument: policies[request.resourcePolicy], metadata: { name: request.resourcePolicy }, errors: [] },
    } : {}),
  }, {})
}
