// The one way both simulator scripts (simulate.mjs, universal/differential.mjs) read
// their input and turn a request into iam-simulate's simulation. No policy logic here.

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
