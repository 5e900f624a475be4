{{/* Names: atlhyper-<component> for a release named atlhyper, else <release>-atlhyper-<component>. */}}
{{- define "atlhyper.base" -}}
{{- if eq .Release.Name .Chart.Name -}}{{ .Chart.Name }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "atlhyper.agent" -}}{{ include "atlhyper.base" . }}-agent{{- end -}}
{{- define "atlhyper.collector" -}}{{ include "atlhyper.base" . }}-collector{{- end -}}
{{- define "atlhyper.api" -}}{{ include "atlhyper.base" . }}-api{{- end -}}

{{- define "atlhyper.serviceAccount" -}}
{{- default (include "atlhyper.agent" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "atlhyper.collectorNamespace" -}}
{{- default .Release.Namespace .Values.collector.namespace -}}
{{- end -}}

{{- define "atlhyper.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: atlhyper
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* selector labels of a component: (dict "ctx" $ "name" "agent") */}}
{{- define "atlhyper.selector" -}}
app.kubernetes.io/name: atlhyper-{{ .name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}

{{/* image reference: (dict "ctx" $ "image" .Values.agent.image) */}}
{{- define "atlhyper.image" -}}
{{- $repo := .image.repository -}}
{{- if not (contains "/" $repo) -}}{{- $repo = printf "%s/%s" .ctx.Values.image.registry $repo -}}{{- end -}}
{{- printf "%s:%s" $repo (default .ctx.Chart.AppVersion .ctx.Values.image.tag) -}}
{{- end -}}

{{- define "atlhyper.storeSecret" -}}
{{- if .Values.store.credentials.existingSecret -}}{{ .Values.store.credentials.existingSecret }}{{- else if .Values.store.credentials.accessKeyId -}}{{ include "atlhyper.base" . }}-store{{- end -}}
{{- end -}}

{{- define "atlhyper.ingestSecret" -}}
{{- if .Values.ingest.existingSecret -}}{{ .Values.ingest.existingSecret }}{{- else if .Values.ingest.secret -}}{{ include "atlhyper.base" . }}-ingest{{- end -}}
{{- end -}}

{{/* The restricted Pod Security profile's container settings; the images run as uid 65532. */}}
{{- define "atlhyper.containerSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities: {drop: [ALL]}
seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{/* Store environment shared by the agent and the API. */}}
{{- define "atlhyper.storeEnv" -}}
- {name: ATLHYPER_STORE, value: {{ required "store.url is required (s3://bucket/prefix…)" .Values.store.url | quote }}}
{{- with .Values.store.region }}
- {name: AWS_REGION, value: {{ . | quote }}}
{{- end }}
{{- with include "atlhyper.storeSecret" . }}
- name: AWS_ACCESS_KEY_ID
  valueFrom: {secretKeyRef: {name: {{ . }}, key: {{ $.Values.store.credentials.accessKeyIdKey }}}}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom: {secretKeyRef: {name: {{ . }}, key: {{ $.Values.store.credentials.secretAccessKeyKey }}}}
{{- end }}
{{- end -}}
