package usage

import (
	"fmt"
	"math"
	"strings"
)

// Prices are object-store list prices in US dollars.
type Prices struct {
	// PutListPer1000 prices PUT, COPY, POST and LIST requests.
	PutListPer1000 float64 `json:"put_list_per_1000"`
	// GetPer1000 prices GET, HEAD and other reads. DELETE is free.
	GetPer1000        float64 `json:"get_per_1000"`
	StoragePerGBMonth float64 `json:"storage_per_gb_month"`
}

// S3Standard are Amazon S3 Standard list prices (us-east-1, first 50 TB),
// the figures AtlHyper's cost estimate works from (docs/api.md, Self-monitoring: what AtlHyper costs).
var S3Standard = Prices{PutListPer1000: 0.005, GetPer1000: 0.0004, StoragePerGBMonth: 0.023}

// HoursPerMonth is the month AWS bills by (8,760 h / 12).
const HoursPerMonth = 730

// gb is the gigabyte of storage prices (AWS bills GB-months of 2^30 bytes).
const gb = 1 << 30

// Cost is an estimate of the monthly object-store bill: list prices times
// the measured rates of each item (requests per hour over a window, bytes
// stored). It is not a bill: see Excludes, and the basis of each item.
type Cost struct {
	Estimate      bool       `json:"estimate"` // always true
	Currency      string     `json:"currency"`
	PriceBasis    string     `json:"price_basis"`
	Prices        Prices     `json:"prices"`
	HoursPerMonth float64    `json:"hours_per_month"`
	Items         []CostItem `json:"items"`
	TotalUSD      float64    `json:"total_usd"` // the fleet, per month
	// PerCluster is the cost of one cluster-month; nil without clusters.
	PerCluster *PerCluster `json:"per_cluster"`
	// Excludes names what the estimate leaves out (codes: data_transfer,
	// other_api_instances, standby_agents, sys_objects, compute, and
	// agent_reads_and_state_writes while some online agent does not report
	// its request counts).
	Excludes []string `json:"excludes"`
}

// PerCluster is the fleet's storage, agents and scheduled jobs shared
// equally among its registered clusters. The API is left out: it grows
// with the dashboards open, not with clusters.
type PerCluster struct {
	Clusters int     `json:"clusters"`
	USD      float64 `json:"usd_per_month"`
	Basis    string  `json:"basis"`
}

// CostItem is one line of the estimate.
type CostItem struct {
	// Item is storage, agents, api or jobs.
	Item string `json:"item"`
	// WindowSeconds is the span the item's rates were measured over (the
	// shortest of its inputs); 0 for storage.
	WindowSeconds   float64 `json:"window_seconds"`
	StorageGB       float64 `json:"storage_gb"`
	PutListPerMonth float64 `json:"put_list_requests_per_month"`
	GetPerMonth     float64 `json:"get_requests_per_month"`
	USD             float64 `json:"usd_per_month"`
	// Basis says where the quantities come from.
	Basis string `json:"basis"`
}

func (p Prices) price(it *CostItem) {
	it.USD = round(it.StorageGB*p.StoragePerGBMonth+it.PutListPerMonth/1000*p.PutListPer1000+it.GetPerMonth/1000*p.GetPer1000, 4)
	it.StorageGB = round(it.StorageGB, 6)
	it.PutListPerMonth = math.Round(it.PutListPerMonth)
	it.GetPerMonth = math.Round(it.GetPerMonth)
}

// estimate prices what the report measured. Items whose inputs are
// missing are left out (the report's Missing says why).
func estimate(p Prices, r *Report) Cost {
	c := Cost{Estimate: true, Currency: "USD", Prices: p, HoursPerMonth: HoursPerMonth, Items: []CostItem{},
		PriceBasis: "Amazon S3 Standard list prices, us-east-1: PUT/COPY/POST/LIST $0.005 per 1,000, GET/HEAD $0.0004 per 1,000, DELETE free, storage $0.023 per GB-month",
		Excludes:   []string{"data_transfer", "other_api_instances", "standby_agents", "sys_objects", "compute"}}
	if p != S3Standard {
		c.PriceBasis = "configured prices"
	}
	if inv := r.Inventory; inv != nil {
		c.Items = append(c.Items, CostItem{Item: "storage", StorageGB: float64(inv.Bytes) / gb,
			Basis: fmt.Sprintf("%d bytes in %d lake objects at the inventory of %s (GB = 2^30 bytes)", inv.Bytes, inv.Objects, inv.TakenAt.Format("2006-01-02 15:04 MST"))})
	}
	var agentPuts, agentGets, shortest float64
	agents, counted := 0, 0
	for _, a := range r.Agents {
		if a.State != "online" || a.EstimatedPutsPerHour == nil {
			continue
		}
		agentPuts += *a.EstimatedPutsPerHour
		agents++
		if q := a.RequestsPerHour; q != nil {
			agentGets += q.Get + q.Head
			counted++
			if shortest == 0 || a.RequestsWindowSeconds < shortest {
				shortest = a.RequestsWindowSeconds
			}
		}
	}
	if agents > 0 {
		basis := fmt.Sprintf("%d online agents: %.1f PUT+LIST/h, %.1f GET+HEAD/h in all", agents, agentPuts, agentGets)
		if counted > 0 {
			basis += fmt.Sprintf("; %d count their requests (rates from the scheduler's samples of the last 24 h to their latest heartbeat; the shortest window %s)", counted, fmtWindow(shortest))
		}
		if counted < agents {
			basis += fmt.Sprintf("; %d are estimated from lake objects written and heartbeat rewrites", agents-counted)
		}
		c.Items = append(c.Items, CostItem{Item: "agents", PutListPerMonth: agentPuts * HoursPerMonth, GetPerMonth: agentGets * HoursPerMonth, WindowSeconds: shortest, Basis: basis})
		if counted < agents { // only the counts include reads and state objects
			c.Excludes = append(c.Excludes, "agent_reads_and_state_writes")
		}
	}
	if ph := r.API.PerHour; ph != nil {
		c.Items = append(c.Items, CostItem{Item: "api", PutListPerMonth: (ph.Put + ph.List) * HoursPerMonth, GetPerMonth: (ph.Get + ph.Head) * HoursPerMonth, WindowSeconds: r.API.WindowSeconds,
			Basis: fmt.Sprintf("this API instance's requests over the last %s: %.1f PUT+LIST/h, %.1f GET+HEAD/h; multiply by the number of instances", fmtWindow(r.API.WindowSeconds), ph.Put+ph.List, ph.Get+ph.Head)})
	}
	var jobs CostItem
	var runs []string
	for _, j := range r.Jobs {
		if j.Rate == nil {
			continue
		}
		q := j.Rate.PerHour
		jobs.PutListPerMonth += (q.Put + q.List) * HoursPerMonth
		jobs.GetPerMonth += (q.Get + q.Head) * HoursPerMonth
		if jobs.WindowSeconds == 0 || j.Rate.WindowSeconds < jobs.WindowSeconds {
			jobs.WindowSeconds = j.Rate.WindowSeconds
		}
		runs = append(runs, fmt.Sprintf("%s: %d runs in %s", j.Job, j.Rate.Runs, fmtWindow(j.Rate.WindowSeconds)))
	}
	if len(runs) > 0 {
		jobs.Item, jobs.Basis = "jobs", "the requests of every run of the scheduled jobs over the last 24 h (or since their history began), per hour: "+strings.Join(runs, "; ")
		c.Items = append(c.Items, jobs)
	}
	var shared float64
	for i := range c.Items {
		p.price(&c.Items[i])
		c.TotalUSD += c.Items[i].USD
		if c.Items[i].Item != "api" {
			shared += c.Items[i].USD
		}
	}
	c.TotalUSD = round(c.TotalUSD, 4)
	if n := len(r.Agents); n > 0 {
		c.PerCluster = &PerCluster{Clusters: n, USD: round(shared/float64(n), 4),
			Basis: fmt.Sprintf("storage, agents and scheduled jobs ($%.4f a month) shared among %d registered clusters; this API instance is not included (it grows with the dashboards open, not with clusters)", shared, n)}
	}
	return c
}

func fmtWindow(seconds float64) string {
	if seconds >= 3600 {
		return fmt.Sprintf("%.1f h", seconds/3600)
	}
	return fmt.Sprintf("%.0f min", seconds/60)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}
