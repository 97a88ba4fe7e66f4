#!/usr/bin/env sh
# The Entra ID app registration of the Triage API: the audience of its tokens and the declaration of its
# app roles (infra/entra/app-roles.json). Bicep's resource providers cannot create Entra objects, so this
# runs before `azd provision` (azure.yaml hook) with the Azure CLI, as the signed-in user, who needs the
# right to create applications in the tenant (Application Developer, or "users can register applications").
#
# Idempotent: finds the registration by name, creates it if missing, and brings its roles and settings up
# to date. When TRIAGE_API_CLIENT_ID is already set (an identity team created the registration), it does
# nothing: the Bicep takes that id.
set -eu

if [ -n "${TRIAGE_API_CLIENT_ID:-}" ]; then
  echo "Using the existing API app registration ${TRIAGE_API_CLIENT_ID} (TRIAGE_API_CLIENT_ID)."
  exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
name="${TRIAGE_API_APP_NAME:-triage-api-${AZURE_ENV_NAME:-dev}}"
roles="$root/infra/entra/app-roles.json"

app_id=$(az ad app list --display-name "$name" --query '[0].appId' --output tsv)
if [ -z "$app_id" ]; then
  echo "Creating the app registration \"$name\"…"
  app_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg \
    --app-roles "@$roles" --requested-access-token-version 2 --query appId --output tsv)
else
  echo "Updating the app registration \"$name\" ($app_id)…"
  az ad app update --id "$app_id" --app-roles "@$roles" --requested-access-token-version 2
fi
# The identifier URI callers ask tokens for: `api://<client id>/.default`.
az ad app update --id "$app_id" --identifier-uris "api://$app_id"

# Its service principal ("enterprise application") is where roles are assigned; only assigned principals
# get a token at all.
az ad sp show --id "$app_id" --query id --output tsv >/dev/null 2>&1 || az ad sp create --id "$app_id" >/dev/null
az ad sp update --id "$app_id" --set appRoleAssignmentRequired=true

if command -v azd >/dev/null 2>&1; then azd env set TRIAGE_API_CLIENT_ID "$app_id"; fi
echo "API app registration: $app_id (TRIAGE_API_CLIENT_ID)"
