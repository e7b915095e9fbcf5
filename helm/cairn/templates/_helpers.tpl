{{/* Names: Kubernetes names stop at 63 characters (DNS labels). */}}
{{- define "cairn.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "cairn.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
"<fullname>-<part>", at most 63 characters (or the third argument: a CronJob's name must leave room
for its Jobs' suffix): the full name is cut, never the part, so two parts never collide.
*/}}
{{- define "cairn.partName" -}}
{{- $root := index . 0 -}}
{{- $part := index . 1 -}}
{{- $max := 63 -}}
{{- if gt (len .) 2 }}{{ $max = index . 2 }}{{ end -}}
{{- printf "%s-%s" (include "cairn.fullname" $root | trunc (int (sub (sub $max 1) (len $part))) | trimSuffix "-") $part -}}
{{- end -}}

{{- define "cairn.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: name + instance (two releases in one namespace never select each other's pods) + component. */}}
{{- define "cairn.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "cairn.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "cairn.labels" -}}
{{- $root := index . 0 -}}
helm.sh/chart: {{ include "cairn.chart" $root }}
{{ include "cairn.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: cairn
{{- end -}}

{{- define "cairn.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "cairn.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "cairn.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The services this mode deploys, as a YAML list. */}}
{{- define "cairn.serviceNames" -}}
{{- if eq .Values.mode "server" -}}
- server
{{- else -}}
- tracking-service
- artifact-service
- registry-service
- webhook-dispatcher
{{- end -}}
{{- end -}}

{{/* One service's settings: serviceDefaults overlaid with services.<name>. Args: root, name. */}}
{{- define "cairn.serviceValues" -}}
{{- $root := index . 0 -}}
{{- $own := index $root.Values.services (index . 1) | default dict -}}
{{- toYaml (mergeOverwrite (deepCopy $root.Values.serviceDefaults) (deepCopy $own)) -}}
{{- end -}}

{{- define "cairn.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) .Values.ingress.host -}}
{{- end -}}
{{- end -}}

{{/* Every secret the processes may read: item, value given inline, existing Secret, its key. */}}
{{- define "cairn.secretTable" -}}
{{- $v := .Values -}}
{{- toYaml (list
  (list "database-url" $v.database.url $v.database.existingSecret $v.database.existingSecretKey)
  (list "s3-access-key" $v.artifacts.s3.accessKey $v.artifacts.s3.existingSecret $v.artifacts.s3.accessKeyKey)
  (list "s3-secret-key" $v.artifacts.s3.secretKey $v.artifacts.s3.existingSecret $v.artifacts.s3.secretKeyKey)
  (list "kafka-sasl-password" $v.kafka.sasl.password $v.kafka.sasl.existingSecret $v.kafka.sasl.existingSecretKey)
  (list "admin-password" $v.auth.admin.password $v.auth.admin.existingSecret $v.auth.admin.existingSecretKey)
  (list "oidc-client-secret" $v.auth.oidc.clientSecret $v.auth.oidc.existingSecret $v.auth.oidc.existingSecretKey)
  (list "webhook-secret-key" $v.webhooks.secretKey $v.webhooks.existingSecret $v.webhooks.existingSecretKey)
) -}}
{{- end -}}

{{/* The values given inline, base64-encoded: the data of the chart's own Secret. */}}
{{- define "cairn.inlineSecretData" -}}
{{- range include "cairn.secretTable" . | fromYamlArray }}
{{- if index . 1 }}
{{ index . 0 }}: {{ index . 1 | b64enc }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Where each configured secret comes from: the chart's own Secret (a value given inline wins) or an
existing Secret, as a YAML map item -> {name, key, inline (a hash of the inline value)}.
*/}}
{{- define "cairn.secretRefs" -}}
{{- $own := include "cairn.partName" (list . "secrets") -}}
{{- range include "cairn.secretTable" . | fromYamlArray }}
{{- $item := index . 0 }}{{ $inline := index . 1 }}{{ $existing := index . 2 }}{{ $key := index . 3 }}
{{- if $inline }}
{{ $item }}: { name: {{ $own }}, key: {{ $item }}, inline: {{ $inline | sha256sum | quote }} }
{{- else if $existing }}
{{ $item }}: { name: {{ $existing }}, key: {{ $key }}, inline: '' }
{{- end }}
{{- end }}
{{- end -}}

{{/*
Which secrets each process reads: the database URL everywhere; S3 credentials where
CAIRN_ARTIFACT_ROOT is set (the blob store, and the registry, which checks model-version sources
against the root, so its configuration requires them too); the webhook sealing key where webhook
endpoints are stored; the first admin's password everywhere (every service enforces access and
whichever starts first creates the admin: one without the password would create it without, and
print a bootstrap token); the OIDC client secret where the identity routes are served.
*/}}
{{- define "cairn.secretsFor" -}}
{{- $kafka := ternary (list "kafka-sasl-password") (list) (ne .Values.kafka.sasl.mechanism "") -}}
{{- $needs := dict
  "tracking-service" (list "database-url" "admin-password" "oidc-client-secret")
  "artifact-service" (list "database-url" "admin-password" "s3-access-key" "s3-secret-key")
  "registry-service" (list "database-url" "admin-password" "s3-access-key" "s3-secret-key")
  "webhook-dispatcher" (list "database-url" "admin-password" "webhook-secret-key")
  "server" (list "database-url" "admin-password" "s3-access-key" "s3-secret-key" "webhook-secret-key" "oidc-client-secret")
  "migrate-job" (list "database-url")
-}}
{{- toYaml (concat (get $needs .service) $kafka) -}}
{{- end -}}

{{/* Services that get CAIRN_ARTIFACT_ROOT and the S3 settings. */}}
{{- define "cairn.usesArtifactRoot" -}}
{{- if has . (list "artifact-service" "registry-service" "server") }}true{{ end -}}
{{- end -}}

{{/*
A Cairn container's env, volumeMounts and volumes for one process. Args: root, process name, and
optionally the Secret holding the inline values (the migration Job's own: it runs before the chart's).
Output: YAML {env, volumeMounts, volumes, checksum}.
*/}}
{{- define "cairn.processEnv" -}}
{{- $root := index . 0 -}}
{{- $process := index . 1 -}}
{{- $inlineSecret := "" -}}
{{- if gt (len .) 2 }}{{ $inlineSecret = index . 2 }}{{ end -}}
{{- $v := $root.Values -}}
{{- $refs := include "cairn.secretRefs" $root | fromYaml -}}
{{- $wanted := include "cairn.secretsFor" (dict "Values" $v "service" $process) | fromYamlArray -}}
{{- $env := list -}}
{{- $mounts := list (dict "name" "tmp" "mountPath" "/tmp") -}}
{{- $volumes := list (dict "name" "tmp" "emptyDir" (dict "sizeLimit" $v.tmpSizeLimit)) -}}
{{- $sums := list -}}
{{- if include "cairn.usesArtifactRoot" $process -}}
{{- $env = append $env (dict "name" "CAIRN_ARTIFACT_ROOT" "value" $v.artifacts.root) -}}
{{- $env = append $env (dict "name" "CAIRN_S3_ENDPOINT" "value" $v.artifacts.s3.endpoint) -}}
{{- $env = append $env (dict "name" "CAIRN_S3_REGION" "value" $v.artifacts.s3.region) -}}
{{- end -}}
{{- $asEnv := dict "database-url" "CAIRN_DATABASE_URL" "s3-access-key" "CAIRN_S3_ACCESS_KEY" "s3-secret-key" "CAIRN_S3_SECRET_KEY" "oidc-client-secret" "CAIRN_OIDC_CLIENT_SECRET" "webhook-secret-key" "CAIRN_WEBHOOK_SECRET_KEY" -}}
{{- $kafkaSecretFile := ternary "CAIRN_KAFKA_OAUTH_CLIENT_SECRET_FILE" "CAIRN_KAFKA_SASL_PASSWORD_FILE" (eq $v.kafka.sasl.mechanism "oauthbearer") -}}
{{- $asFile := dict "kafka-sasl-password" $kafkaSecretFile "admin-password" "CAIRN_ADMIN_PASSWORD_FILE" -}}
{{- range $item := $wanted -}}
{{- $ref := get $refs $item -}}
{{- if $ref -}}
{{- $sums = append $sums (printf "%s=%s/%s/%s" $item $ref.name $ref.key $ref.inline) -}}
{{- if hasKey $asEnv $item -}}
{{- $name := ternary $inlineSecret $ref.name (and (ne $ref.inline "") (ne $inlineSecret "")) -}}
{{- $env = append $env (dict "name" (get $asEnv $item) "valueFrom" (dict "secretKeyRef" (dict "name" $name "key" $ref.key))) -}}
{{- else -}}
{{- $env = append $env (dict "name" (get $asFile $item) "value" (printf "/etc/cairn/secrets/%s/%s" $item $item)) -}}
{{- $mounts = append $mounts (dict "name" $item "mountPath" (printf "/etc/cairn/secrets/%s" $item) "readOnly" true) -}}
{{- $name := ternary $inlineSecret $ref.name (and (ne $ref.inline "") (ne $inlineSecret "")) -}}
{{- $volumes = append $volumes (dict "name" $item "secret" (dict "secretName" $name "defaultMode" 288 "items" (list (dict "key" $ref.key "path" $item)))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $v.kafka.tls.enabled $v.kafka.tls.caSecret -}}
{{- $env = append $env (dict "name" "CAIRN_KAFKA_TLS_CA_FILE" "value" "/etc/cairn/kafka-ca/ca.crt") -}}
{{- $mounts = append $mounts (dict "name" "kafka-ca" "mountPath" "/etc/cairn/kafka-ca" "readOnly" true) -}}
{{- $volumes = append $volumes (dict "name" "kafka-ca" "secret" (dict "secretName" $v.kafka.tls.caSecret "defaultMode" 292 "items" (list (dict "key" $v.kafka.tls.caSecretKey "path" "ca.crt")))) -}}
{{- end -}}
{{- toYaml (dict "env" $env "volumeMounts" $mounts "volumes" $volumes "checksum" (join "," $sums | sha256sum)) -}}
{{- end -}}

{{/* The settings every process shares (the ConfigMap, and the migration Job's env), as a YAML map. */}}
{{- define "cairn.sharedSettings" -}}
{{- $v := .Values -}}
CAIRN_HOST: '0.0.0.0'
CAIRN_PORT: '5000'
CAIRN_LOG_LEVEL: {{ $v.logLevel | quote }}
CAIRN_KAFKA_BROKERS: {{ $v.kafka.brokers | quote }}
CAIRN_KAFKA_TOPIC_PREFIX: {{ $v.kafka.topicPrefix | quote }}
CAIRN_KAFKA_READY_TIMEOUT_MS: {{ $v.kafka.readyTimeoutMs | quote }}
CAIRN_KAFKA_TLS: {{ $v.kafka.tls.enabled | quote }}
{{- if eq $v.kafka.sasl.mechanism "oauthbearer" }}
CAIRN_KAFKA_SASL_MECHANISM: 'oauthbearer'
CAIRN_KAFKA_OAUTH_TOKEN_URL: {{ $v.kafka.sasl.oauth.tokenUrl | quote }}
CAIRN_KAFKA_OAUTH_CLIENT_ID: {{ $v.kafka.sasl.oauth.clientId | quote }}
{{- with $v.kafka.sasl.oauth.scope }}
CAIRN_KAFKA_OAUTH_SCOPE: {{ . | quote }}
{{- end }}
{{- with $v.kafka.sasl.oauth.resource }}
CAIRN_KAFKA_OAUTH_RESOURCE: {{ . | quote }}
{{- end }}
{{- with $v.kafka.sasl.oauth.audience }}
CAIRN_KAFKA_OAUTH_AUDIENCE: {{ . | quote }}
{{- end }}
{{- else if $v.kafka.sasl.mechanism }}
CAIRN_KAFKA_SASL_MECHANISM: {{ $v.kafka.sasl.mechanism | quote }}
CAIRN_KAFKA_SASL_USERNAME: {{ $v.kafka.sasl.username | quote }}
{{- end }}
CAIRN_KAFKA_TOPIC_PARTITIONS: {{ $v.kafka.topics.partitions | quote }}
{{- with $v.kafka.topics.replicationFactor }}
CAIRN_KAFKA_TOPIC_REPLICATION_FACTOR: {{ . | quote }}
{{- end }}
{{- with $v.kafka.topics.retentionMs }}
CAIRN_KAFKA_TOPIC_RETENTION_MS: {{ . | quote }}
{{- end }}
CAIRN_DB_POOL_SIZE: {{ $v.database.poolSize | quote }}
CAIRN_DB_ACQUIRE_TIMEOUT_MS: {{ $v.database.acquireTimeoutMs | quote }}
CAIRN_DB_STATEMENT_TIMEOUT_MS: {{ $v.database.statementTimeoutMs | quote }}
CAIRN_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: {{ $v.database.idleInTransactionTimeoutMs | quote }}
CAIRN_AUTH: {{ $v.auth.mode | quote }}
CAIRN_AUTH_DEFAULT_PERMISSION: {{ $v.auth.defaultPermission | quote }}
CAIRN_ADMIN_USERNAME: {{ $v.auth.admin.username | quote }}
{{- with $v.trustedProxies }}
CAIRN_TRUSTED_PROXIES: {{ . | quote }}
{{- end }}
{{- with include "cairn.publicUrl" . }}
CAIRN_PUBLIC_URL: {{ . | quote }}
{{- end }}
{{- if eq $v.auth.mode "oidc" }}
CAIRN_OIDC_ISSUER: {{ $v.auth.oidc.issuer | quote }}
CAIRN_OIDC_AUDIENCE: {{ $v.auth.oidc.audience | quote }}
CAIRN_OIDC_CLIENT_ID: {{ $v.auth.oidc.clientId | quote }}
CAIRN_OIDC_GROUPS_CLAIM: {{ $v.auth.oidc.groupsClaim | quote }}
CAIRN_OIDC_ADMIN_GROUP: {{ $v.auth.oidc.adminGroup | quote }}
{{- end }}
CAIRN_WEBHOOK_ALLOW_HTTP: {{ $v.webhooks.allowHttp | quote }}
CAIRN_WEBHOOK_ALLOWED_HOSTS: {{ join "," $v.webhooks.allowedHosts | quote }}
CAIRN_WEBHOOK_TIMEOUT_MS: {{ $v.webhooks.timeoutMs | quote }}
CAIRN_ORPHAN_TIMEOUT_S: {{ $v.lifecycle.orphanTimeoutS | quote }}
CAIRN_RETENTION_DAYS: {{ $v.lifecycle.retentionDays | quote }}
CAIRN_GC_INTERVAL_S: {{ $v.lifecycle.gcIntervalS | quote }}
{{- end -}}

{{- define "cairn.podSecurity" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: {{ .Values.automountServiceAccountToken }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* What the schema cannot say: settings that need each other. The services would refuse them at start-up; say so at install. */}}
{{- define "cairn.validate" -}}
{{- $v := .Values -}}
{{- $refs := include "cairn.secretRefs" . | fromYaml -}}
{{- if not (hasKey $refs "database-url") }}{{ fail "database: set url or existingSecret (every service needs CAIRN_DATABASE_URL)" }}{{ end -}}
{{- if not (and (hasKey $refs "s3-access-key") (hasKey $refs "s3-secret-key")) }}{{ fail "artifacts.s3: set accessKey and secretKey, or existingSecret" }}{{ end -}}
{{- if eq $v.kafka.sasl.mechanism "oauthbearer" -}}
{{- if not (and $v.kafka.sasl.oauth.tokenUrl $v.kafka.sasl.oauth.clientId) }}{{ fail "kafka.sasl.oauth: tokenUrl and clientId required with kafka.sasl.mechanism=oauthbearer" }}{{ end -}}
{{- if not (hasKey $refs "kafka-sasl-password") }}{{ fail "kafka.sasl: set password or existingSecret (the OAuth client secret) with kafka.sasl.mechanism=oauthbearer" }}{{ end -}}
{{- else if $v.kafka.sasl.mechanism -}}
{{- if not $v.kafka.sasl.username }}{{ fail "kafka.sasl.username: required with kafka.sasl.mechanism" }}{{ end -}}
{{- if not (hasKey $refs "kafka-sasl-password") }}{{ fail "kafka.sasl: set password or existingSecret with kafka.sasl.mechanism" }}{{ end -}}
{{- end -}}
{{- if and $v.kafka.tls.caSecret (not $v.kafka.tls.enabled) }}{{ fail "kafka.tls.caSecret: set, but kafka.tls.enabled is false" }}{{ end -}}
{{- if eq $v.auth.mode "oidc" -}}
{{- if not $v.auth.oidc.issuer }}{{ fail "auth.oidc.issuer: required with auth.mode=oidc" }}{{ end -}}
{{- if not (or $v.auth.oidc.audience $v.auth.oidc.clientId) }}{{ fail "auth.oidc.audience (or clientId): required with auth.mode=oidc" }}{{ end -}}
{{- end -}}
{{- end -}}
