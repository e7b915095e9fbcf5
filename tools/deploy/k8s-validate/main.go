// k8s-validate checks rendered Kubernetes manifests offline, as an API server would before
// admitting them: each document decodes strictly into its k8s.io/api type (an unknown or misspelt
// field, a wrong type or a duplicate key fails), names and labels are valid, a workload's selector
// matches its pod template, probes name declared ports, and every pod passes the Pod Security
// "restricted" level (the admission library the API server runs).
//
//	helm template … | k8s-validate [-json]
//
// Exit code 0: all valid (with -json, stdout has each document as one JSON line, for further checks
// by the caller); 1: problems, one a line on stderr; 2: unreadable input.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// The kinds the chart renders. Anything else fails, except the custom resources below, which no
// k8s.io/api type describes.
func newObject(t typeMeta) (any, bool) {
	switch t.APIVersion + "/" + t.Kind {
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/Pod":
		return &corev1.Pod{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "batch/v1/Job":
		return &batchv1.Job{}, true
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	}
	return nil, false
}

var customResources = map[string]bool{"monitoring.coreos.com/v1/ServiceMonitor": true}

func main() {
	asJSON := flag.Bool("json", false, "print each document as a JSON line on stdout")
	flag.Parse()
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	restricted := psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}

	var problems []string
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	count := 0
	for i, doc := range splitDocuments(input) {
		var t typeMeta
		if err := yaml.Unmarshal(doc, &t); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", i, err))
			continue
		}
		if t.Kind == "" {
			continue // an empty document (a template that rendered nothing)
		}
		count++
		where := fmt.Sprintf("%s %s", t.Kind, nameOf(doc))
		if *asJSON {
			line, err := yaml.YAMLToJSON(doc)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", where, err))
				continue
			}
			out.Write(line)
			out.WriteByte('\n')
		}
		if customResources[t.APIVersion+"/"+t.Kind] {
			continue
		}
		obj, known := newObject(t)
		if !known {
			problems = append(problems, fmt.Sprintf("%s: no known API type for %s %s", where, t.APIVersion, t.Kind))
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		for _, p := range check(obj, evaluator, restricted) {
			problems = append(problems, fmt.Sprintf("%s: %s", where, p))
		}
	}
	if count == 0 {
		problems = append(problems, "no Kubernetes object in the input")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		out.Flush()
		os.Exit(1)
	}
}

func splitDocuments(input []byte) [][]byte {
	var docs [][]byte
	var current bytes.Buffer
	for _, line := range strings.SplitAfter(string(input), "\n") {
		if strings.TrimRight(line, "\r\n") == "---" {
			docs = append(docs, bytes.Clone(current.Bytes()))
			current.Reset()
			continue
		}
		current.WriteString(line)
	}
	return append(docs, current.Bytes())
}

func nameOf(doc []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	_ = yaml.Unmarshal(doc, &m)
	return m.Metadata.Name
}

func check(obj any, evaluator policy.Evaluator, level psapi.LevelVersion) []string {
	var problems []string
	var meta *metav1.ObjectMeta
	var pod *corev1.PodTemplateSpec
	var selector *metav1.LabelSelector
	switch o := obj.(type) {
	case *appsv1.Deployment:
		meta, pod, selector = &o.ObjectMeta, &o.Spec.Template, o.Spec.Selector
		if selector == nil {
			problems = append(problems, "spec.selector is required")
		}
	case *batchv1.Job:
		meta, pod = &o.ObjectMeta, &o.Spec.Template
	case *batchv1.CronJob:
		meta, pod = &o.ObjectMeta, &o.Spec.JobTemplate.Spec.Template
		if len(validation.IsDNS1123Subdomain(o.Name)) == 0 && len(o.Name) > 52 {
			problems = append(problems, "a CronJob name must be at most 52 characters (its Jobs add a suffix)")
		}
	case *corev1.Pod:
		meta, pod = &o.ObjectMeta, &corev1.PodTemplateSpec{ObjectMeta: o.ObjectMeta, Spec: o.Spec}
	case *corev1.Service:
		meta = &o.ObjectMeta
		for _, msg := range validation.IsDNS1035Label(o.Name) {
			problems = append(problems, "metadata.name: "+msg)
		}
		if len(o.Spec.Selector) == 0 {
			problems = append(problems, "spec.selector is empty (the Service would select nothing, or everything)")
		}
	case *policyv1.PodDisruptionBudget:
		meta = &o.ObjectMeta
		if o.Spec.Selector == nil || (len(o.Spec.Selector.MatchLabels) == 0 && len(o.Spec.Selector.MatchExpressions) == 0) {
			problems = append(problems, "spec.selector selects every pod of the namespace")
		}
	case *corev1.ConfigMap:
		meta = &o.ObjectMeta
	case *corev1.Secret:
		meta = &o.ObjectMeta
	case *corev1.ServiceAccount:
		meta = &o.ObjectMeta
	case *autoscalingv2.HorizontalPodAutoscaler:
		meta = &o.ObjectMeta
	case *networkingv1.Ingress:
		meta = &o.ObjectMeta
		for _, rule := range o.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, path := range rule.HTTP.Paths {
				if !strings.HasPrefix(path.Path, "/") {
					problems = append(problems, fmt.Sprintf("path %q must be absolute", path.Path))
				}
				if path.PathType == nil {
					problems = append(problems, fmt.Sprintf("path %q has no pathType", path.Path))
				}
			}
		}
	case *networkingv1.NetworkPolicy:
		meta = &o.ObjectMeta
	}
	if meta != nil {
		problems = append(problems, checkMeta("metadata", meta)...)
	}
	if pod != nil {
		problems = append(problems, checkMeta("pod template metadata", &pod.ObjectMeta)...)
		if selector != nil {
			s, err := metav1.LabelSelectorAsSelector(selector)
			if err != nil {
				problems = append(problems, "spec.selector: "+err.Error())
			} else if !s.Matches(labels.Set(pod.Labels)) {
				problems = append(problems, "spec.selector does not match the pod template's labels")
			}
		}
		problems = append(problems, checkPodSpec(&pod.Spec)...)
		result := policy.AggregateCheckResults(evaluator.EvaluatePod(level, &pod.ObjectMeta, &pod.Spec))
		if !result.Allowed {
			problems = append(problems, "violates Pod Security \"restricted\": "+result.ForbiddenDetail())
		}
	}
	return problems
}

func checkMeta(where string, meta *metav1.ObjectMeta) []string {
	var problems []string
	if meta.Name != "" {
		for _, msg := range validation.IsDNS1123Subdomain(meta.Name) {
			problems = append(problems, where+".name: "+msg)
		}
	}
	for key, value := range meta.Labels {
		for _, msg := range validation.IsQualifiedName(key) {
			problems = append(problems, fmt.Sprintf("%s.labels[%s]: %s", where, key, msg))
		}
		for _, msg := range validation.IsValidLabelValue(value) {
			problems = append(problems, fmt.Sprintf("%s.labels[%s]: %s", where, key, msg))
		}
	}
	return problems
}

// What the API server's validation would also refuse: probes on undeclared ports, mounts of
// undeclared volumes, env vars without a value source.
func checkPodSpec(spec *corev1.PodSpec) []string {
	var problems []string
	volumes := map[string]bool{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = true
	}
	for _, c := range spec.Containers {
		ports := map[string]bool{}
		for _, p := range c.Ports {
			ports[p.Name] = true
		}
		for name, probe := range map[string]*corev1.Probe{"startupProbe": c.StartupProbe, "livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" && !ports[probe.HTTPGet.Port.StrVal] {
				problems = append(problems, fmt.Sprintf("container %s: %s names port %q, which it does not declare", c.Name, name, probe.HTTPGet.Port.StrVal))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				problems = append(problems, fmt.Sprintf("container %s: mounts volume %q, which the pod does not declare", c.Name, m.Name))
			}
		}
		seen := map[string]bool{}
		for _, e := range c.Env {
			if seen[e.Name] {
				problems = append(problems, fmt.Sprintf("container %s: env %s is set twice", c.Name, e.Name))
			}
			seen[e.Name] = true
			for _, msg := range validation.IsEnvVarName(e.Name) {
				problems = append(problems, fmt.Sprintf("container %s: env %s: %s", c.Name, e.Name, msg))
			}
		}
		if c.Image == "" {
			problems = append(problems, fmt.Sprintf("container %s: no image", c.Name))
		}
	}
	return problems
}
