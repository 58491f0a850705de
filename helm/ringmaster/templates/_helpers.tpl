{{/*
Names and labels, as `helm create` makes them.
*/}}
{{- define "ringmaster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ringmaster.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ringmaster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "ringmaster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ringmaster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "ringmaster.labels" -}}
helm.sh/chart: {{ include "ringmaster.chart" . }}
{{ include "ringmaster.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels of the helm test pod: no app.kubernetes.io/name, so that neither the Service nor
the PodDisruptionBudget selects it.
*/}}
{{- define "ringmaster.testLabels" -}}
helm.sh/chart: {{ include "ringmaster.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: test
{{- end }}

{{- define "ringmaster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ringmaster.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "ringmaster.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
The `ringmaster:` section of the config, a dict (empty when unset).
*/}}
{{- define "ringmaster.globalJson" -}}
{{- $c := .Values.config | default dict }}
{{- toJson ($c.ringmaster | default dict) }}
{{- end }}

{{- define "ringmaster.isLoopback" -}}
{{- $h := lower (toString .) }}
{{- if or (eq $h "localhost") (eq $h "::1") (eq $h "ip6-localhost") (hasPrefix "127." $h) }}true{{ end }}
{{- end }}

{{/*
The HTTP endpoint's port (/metrics, /livez, /readyz): config.ringmaster.http_port, 9090 when unset.
*/}}
{{- define "ringmaster.httpPort" -}}
{{- $g := include "ringmaster.globalJson" . | fromJson }}
{{- $p := int ($g.http_port | default 9090) }}
{{- if or (lt $p 1) (gt $p 65535) }}
{{- fail (printf "config.ringmaster.http_port must be a port number (1-65535), got %v" $g.http_port) }}
{{- end }}
{{- $p }}
{{- end }}

{{/*
The config file as rendered into the ConfigMap: the values' config, with http_port set to
the port the chart probes. Fails on what cannot work in a Restricted pod.
*/}}
{{- define "ringmaster.configYaml" -}}
{{- $c := deepCopy (.Values.config | default dict) }}
{{- $g := include "ringmaster.globalJson" . | fromJson }}
{{- if and $g.http_host (include "ringmaster.isLoopback" $g.http_host) }}
{{- fail (printf "config.ringmaster.http_host is %v: the kubelet's probes and Prometheus come from outside the pod; use 0.0.0.0 or ::" $g.http_host) }}
{{- end }}
{{- if and (or $g.user $g.group) .Values.podSecurityContext.runAsNonRoot }}
{{- fail "config.ringmaster.user/group drop privileges, which needs root: the pod runs as non-root (podSecurityContext.runAsNonRoot), so leave them unset" }}
{{- end }}
{{- $_ := set $g "http_port" (include "ringmaster.httpPort" . | int) }}
{{- $_ := set $c "ringmaster" $g }}
{{- toYaml $c }}
{{- end }}

{{/*
The sockets a Service can reach, as JSON {"ports": [{socket, name, port, protocol, servicePort}]},
sorted by socket name: TCP (SOCK_STREAM) and UDP (SOCK_DGRAM) sockets of the inet families
with a host that is not loopback. Port names are the socket names made IANA service names.
*/}}
{{- define "ringmaster.socketPorts" -}}
{{- $out := list }}
{{- $seen := dict "metrics" "the HTTP endpoint" }}
{{- $sockets := (.Values.config | default dict).sockets | default dict }}
{{- range $socket, $s := $sockets }}
{{- $s = $s | default dict }}
{{- $family := toString ($s.family | default "") }}
{{- $type := toString ($s.type | default "SOCK_STREAM") }}
{{- if and (not $s.path) (ne $family "AF_UNIX") (ne $type "SOCK_SEQPACKET") }}
{{- if not (hasKey $s "host") }}
{{- fail (printf "config.sockets.%s has no host: ringmaster then binds localhost, which no Service reaches. Set host: 0.0.0.0 (or ::), or host: 127.0.0.1 to keep it inside the pod" $socket) }}
{{- end }}
{{- if not (include "ringmaster.isLoopback" $s.host) }}
{{- $port := int (hasKey $s "port" | ternary $s.port 8080) }}
{{- if or (lt $port 1) (gt $port 65535) }}
{{- fail (printf "config.sockets.%s.port must be a fixed port number for the Service, got %v" $socket $s.port) }}
{{- end }}
{{- $name := regexReplaceAll "[^a-z0-9]+" (lower $socket) "-" | trunc 15 | trimAll "-" }}
{{- if not (regexMatch "[a-z]" $name) }}
{{- fail (printf "config.sockets.%s: a port is named after its socket, and %q is not a valid port name (it needs a letter)" $socket $name) }}
{{- end }}
{{- if hasKey $seen $name }}
{{- fail (printf "config.sockets.%s: its port name %q is already taken by %s" $socket $name (get $seen $name)) }}
{{- end }}
{{- $_ := set $seen $name (printf "socket %s" $socket) }}
{{- $servicePort := int (get ($.Values.service.ports | default dict) $socket | default $port) }}
{{- $out = append $out (dict "socket" $socket "name" $name "port" $port "protocol" (eq $type "SOCK_DGRAM" | ternary "UDP" "TCP") "servicePort" $servicePort) }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson (dict "ports" $out) }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the value when set, else ceil(drain_delay + graceful_timeout)
+ terminationGraceMarginSeconds, and at least the largest watcher graceful_timeout
(ringmaster's defaults: graceful_timeout 25, drain_delay 0, a watcher's graceful_timeout 30).
*/}}
{{- define "ringmaster.terminationGracePeriodSeconds" -}}
{{- if not (kindIs "invalid" .Values.terminationGracePeriodSeconds) }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- else }}
{{- $g := include "ringmaster.globalJson" . | fromJson }}
{{- $drain := 0.0 }}
{{- if hasKey $g "drain_delay" }}{{ $drain = float64 $g.drain_delay }}{{ end }}
{{- $graceful := 25.0 }}
{{- if hasKey $g "graceful_timeout" }}{{ $graceful = float64 $g.graceful_timeout }}{{ end }}
{{- $total := add (int (ceil (addf $drain $graceful))) (int .Values.terminationGraceMarginSeconds) }}
{{- range $name, $w := ((.Values.config | default dict).watchers | default dict) }}
{{- $w = $w | default dict }}
{{- $wt := 30.0 }}
{{- if hasKey $w "graceful_timeout" }}{{ $wt = float64 $w.graceful_timeout }}{{ end }}
{{- $total = max $total (int (ceil $wt)) }}
{{- end }}
{{- $total }}
{{- end }}
{{- end }}

{{/* "true" when a ServiceMonitor/PodMonitor is rendered. */}}
{{- define "ringmaster.monitorEnabled" -}}
{{- $e := toString .Values.metrics.monitor.enabled }}
{{- if or (eq $e "true") (and (eq $e "auto") (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1")) }}true{{ end }}
{{- end }}

{{/* "keda" or "hpa" when autoscaling is enabled, else empty. */}}
{{- define "ringmaster.autoscaler" -}}
{{- if .Values.autoscaling.enabled }}
{{- $e := toString .Values.autoscaling.keda.enabled }}
{{- if or (eq $e "true") (and (eq $e "auto") (.Capabilities.APIVersions.Has "keda.sh/v1alpha1")) }}keda{{ else }}hpa{{ end }}
{{- end }}
{{- end }}

{{/* The label matcher of the accept-queue metric for the sockets to scale on. */}}
{{- define "ringmaster.acceptQueueMatcher" -}}
{{- $m := list (printf "namespace=%q" .Release.Namespace) (printf "pod=~%q" (printf "%s-[a-z0-9]+-[a-z0-9]+" (include "ringmaster.fullname" .))) }}
{{- with .Values.autoscaling.sockets }}
{{- $m = append $m (printf "socket=~%q" (join "|" .)) }}
{{- end }}
{{- join "," $m }}
{{- end }}
