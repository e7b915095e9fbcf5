// loadgen: a small HTTP load generator for Cairn's benchmarks (standard library only, so it builds
// offline). Written in Go rather than Node so that, on a 2-core machine, the load generator takes as
// little CPU as possible from the server it measures.
//
//	loadgen -url URL [-header 'If-None-Match: "x"'] -clients 256 -duration 10s [-interval 25ms]
//	loadgen -url URL -body '{"run_id":"{client}","step":{seq},"value":{rand},"timestamp":{now}}' -client-values id1,id2 ...
//
// With -body each request is a POST of that JSON template, filled per request: {client} is this
// client's entry of -client-values (client i takes entry i modulo their number), {seq} counts the
// client's requests from 0, {now} is Unix time in ms and {rand} a number in [0, 1). {pick} is an entry
// of the values chosen at random per request; the URL is filled the same way (a GET of
// `...?name={pick}` spreads the load over many resources). -values-file reads the values one per line
// (for lists longer than a command line takes).
//
// Without -interval each client sends its next request as soon as the previous answers (closed
// loop: the server's maximum throughput). With -interval each client polls on a fixed schedule, as
// serving pods do (open loop: latency at an offered rate of clients/interval); a request that would
// start late is sent at once and its lateness counted in its latency (no coordinated omission).
// Prints one JSON object: requests, rps, p50/p90/p99/max in ms, errors, status counts.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type headerList []string

func (h *headerList) String() string     { return strings.Join(*h, ", ") }
func (h *headerList) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "URL to GET")
	clients := flag.Int("clients", 256, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	interval := flag.Duration("interval", 0, "per-client polling interval (0: closed loop)")
	body := flag.String("body", "", "JSON body template: POST instead of GET")
	clientValues := flag.String("client-values", "", "comma-separated values for {client} and {pick}")
	valuesFile := flag.String("values-file", "", "file of values for {client} and {pick}, one per line")
	var headers headerList
	flag.Var(&headers, "header", "request header 'Name: value' (repeatable)")
	flag.Parse()
	values := strings.Split(*clientValues, ",")
	if *valuesFile != "" {
		data, err := os.ReadFile(*valuesFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
		values = strings.Fields(string(data))
	}
	if *url == "" {
		fmt.Fprintln(os.Stderr, "usage: loadgen -url URL [-header H] [-clients N] [-duration D] [-interval I]")
		os.Exit(2)
	}
	transport := &http.Transport{MaxIdleConns: *clients, MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients, DisableCompression: true}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	var mu sync.Mutex
	latencies := make([]float64, 0, 1<<20)
	statuses := map[int]int{}
	errors := 0
	start := time.Now()
	deadline := start.Add(*duration)
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			local := make([]float64, 0, 4096)
			localStatus := map[int]int{}
			localErrors := 0
			seq := 0
			random := rand.New(rand.NewSource(int64(c) + 1))
			// Spread the pollers' phases over one interval so they do not fire in lockstep.
			next := start
			if *interval > 0 {
				next = start.Add(time.Duration(int64(*interval) * int64(c) / int64(*clients)))
			}
			for {
				if *interval > 0 {
					if now := time.Now(); next.After(now) {
						time.Sleep(next.Sub(now))
					}
				}
				if time.Now().After(deadline) {
					break
				}
				scheduled := next
				sent := time.Now()
				if *interval == 0 {
					scheduled = sent
				}
				fill := strings.NewReplacer(
					"{client}", values[c%len(values)],
					"{pick}", values[random.Intn(len(values))],
					"{seq}", strconv.Itoa(seq),
					"{now}", strconv.FormatInt(time.Now().UnixMilli(), 10),
					"{rand}", strconv.FormatFloat(random.Float64(), 'g', -1, 64),
				)
				target := *url
				if strings.Contains(target, "{") {
					target = fill.Replace(target)
				}
				var req *http.Request
				if *body == "" {
					req, _ = http.NewRequest("GET", target, nil)
				} else {
					seq++
					req, _ = http.NewRequest("POST", target, strings.NewReader(fill.Replace(*body)))
					req.Header.Set("Content-Type", "application/json")
				}
				for _, h := range headers {
					if k, v, ok := strings.Cut(h, ":"); ok {
						req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
					}
				}
				resp, err := client.Do(req)
				if err != nil {
					if localErrors == 0 {
						fmt.Fprintln(os.Stderr, "loadgen:", err)
					}
					localErrors++
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					localStatus[resp.StatusCode]++
					if resp.StatusCode >= 400 {
						localErrors++
					}
				}
				local = append(local, float64(time.Since(scheduled).Microseconds())/1000)
				if *interval > 0 {
					next = next.Add(*interval)
				}
			}
			mu.Lock()
			latencies = append(latencies, local...)
			for k, v := range localStatus {
				statuses[k] += v
			}
			errors += localErrors
			mu.Unlock()
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sort.Float64s(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		i := int(p / 100 * float64(len(latencies)))
		if i >= len(latencies) {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	byStatus := map[string]int{}
	for k, v := range statuses {
		byStatus[fmt.Sprint(k)] = v
	}
	out := map[string]any{
		"clients": *clients, "interval_ms": interval.Milliseconds(), "seconds": elapsed, "requests": len(latencies),
		"rps": float64(len(latencies)) / elapsed, "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": pct(100),
		"errors": errors, "statuses": byStatus,
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
