{{/* The release's base name: <release>-sdserve, or the release name when it already contains "sdserve". */}}
{{- define "sdserve.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/*
The four stages, in start order. key: the values key; name: the Kubernetes name suffix and the
app.kubernetes.io/component label; service: the module and image name; config: its sd.<config>.* prefix.
*/}}
{{- define "sdserve.stages" -}}
textEncoder: {key: textEncoder, name: text-encoder, service: text-encoder-service, config: text-encoder, grpcPort: 50052, httpPort: 8052}
unet: {key: unet, name: unet, service: unet-service, config: unet, grpcPort: 50053, httpPort: 8053}
vae: {key: vae, name: vae, service: vae-service, config: vae, grpcPort: 50054, httpPort: 8054}
orchestrator: {key: orchestrator, name: orchestrator, service: orchestrator, config: orchestrator, grpcPort: 50051, httpPort: 8051}
{{- end -}}

{{- define "sdserve.stageOrder" -}}
[textEncoder, unet, vae, orchestrator]
{{- end -}}

{{- define "sdserve.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sdserve
{{- end -}}

{{/* Selector labels of one stage: (dict "root" $ "stage" $stage) */}}
{{- define "sdserve.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .stage.name }}
{{- end -}}

{{/* A stage's object name: <fullname>-<stage name> */}}
{{- define "sdserve.stageName" -}}
{{- printf "%s-%s" (include "sdserve.fullname" .root) .stage.name -}}
{{- end -}}

{{/* The headless Service of unet-service, which the orchestrator resolves to every ready unet pod. */}}
{{- define "sdserve.unetHeadless" -}}
{{- printf "%s-unet-headless" (include "sdserve.fullname" .) -}}
{{- end -}}

{{/* A stage's headless Service (dict "root" $ "stage" $stage): one DNS address per ready pod. */}}
{{- define "sdserve.headlessName" -}}
{{- printf "%s-headless" (include "sdserve.stageName" .) -}}
{{- end -}}

{{/* Fully qualified DNS name of a Service in the release's namespace. */}}
{{- define "sdserve.svcHost" -}}
{{- printf "%s.%s.svc.cluster.local" .name .root.Release.Namespace -}}
{{- end -}}

{{- define "sdserve.image" -}}
{{- $v := index .root.Values .stage.key -}}
{{- $repo := $v.image.repository -}}
{{- if not $repo -}}
{{- $repo = printf "%s/%s" .root.Values.image.repository .stage.service -}}
{{- end -}}
{{- if .root.Values.image.registry -}}
{{- $repo = printf "%s/%s" .root.Values.image.registry $repo -}}
{{- end -}}
{{- printf "%s:%s" $repo (default (default .root.Chart.AppVersion .root.Values.image.tag) $v.image.tag) -}}
{{- end -}}

{{- define "sdserve.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sdserve.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "sdserve.modelsClaim" -}}
{{- default (printf "%s-models" (include "sdserve.fullname" .)) .Values.models.pvc.existingClaim -}}
{{- end -}}
