{{/* Names and labels */}}
{{- define "ragchat.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ragchat.name" -}}
{{- printf "%s-%s" (include "ragchat.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ragchat.selectorLabels" -}}
app.kubernetes.io/name: ragchat
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ragchat.labels" -}}
{{ include "ragchat.selectorLabels" . }}
app.kubernetes.io/part-of: ragchat
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "ragchat.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/ragchat/%s:%s" .root.Values.image.registry .image $tag -}}
{{- else -}}
{{- printf "ragchat/%s:%s" .image $tag -}}
{{- end -}}
{{- end -}}

{{- define "ragchat.secretName" -}}
{{- .Values.connections.existingSecret | default (printf "%s-connections" (include "ragchat.fullname" .)) -}}
{{- end -}}

{{- define "ragchat.adminSecretName" -}}
{{- .Values.admin.existingSecret | default (printf "%s-admin" (include "ragchat.fullname" .)) -}}
{{- end -}}

{{/* The embedded vector engine allows one process per index: one retrieval replica then. */}}
{{- define "ragchat.qdrantUrl" -}}
{{- if .Values.bundled.qdrant.enabled -}}
{{- printf "http://%s-qdrant:6333" (include "ragchat.fullname" .) -}}
{{- else -}}
{{- .Values.connections.qdrantUrl -}}
{{- end -}}
{{- end -}}

{{- define "ragchat.embeddedQdrant" -}}
{{- if not (include "ragchat.qdrantUrl" .) -}}true{{- end -}}
{{- end -}}

{{- define "ragchat.terminationGrace" -}}
{{- add (int .Values.shutdown.drainSeconds) (int .Values.shutdown.graceSeconds) 10 -}}
{{- end -}}

{{/* Environment every ragchat container gets: the shared ConfigMap and the connection Secret. */}}
{{- define "ragchat.envFrom" -}}
- configMapRef:
    name: {{ include "ragchat.fullname" . }}-config
- secretRef:
    name: {{ include "ragchat.secretName" . }}
- secretRef:
    name: {{ include "ragchat.serviceTokenSecret" . }}
{{- end -}}

{{/* The Secret holding RAGCHAT_SERVICE_TOKEN, the internal services' shared credential. */}}
{{- define "ragchat.serviceTokenSecret" -}}
{{- .Values.serviceToken.existingSecret | default (printf "%s-service-token" (include "ragchat.fullname" .)) -}}
{{- end -}}

{{/* Selects every pod of this release (the peers internal services accept traffic from). */}}
{{- define "ragchat.releasePods" -}}
podSelector:
  matchLabels:
    app.kubernetes.io/name: ragchat
    app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ragchat.podDefaults" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ include "ragchat.terminationGrace" . }}
{{- end -}}

{{- define "ragchat.containerSecurity" -}}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
{{- end -}}
