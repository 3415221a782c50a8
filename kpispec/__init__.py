"""kpispec: lint KPI definitions kept in git; tell real KPIs from mere metrics."""

__version__ = "0.1.0"
