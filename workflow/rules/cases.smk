rule cases:
    output:
        table=report(
            "results/cases.csv",
            caption="../report/cases.rst",
            category="Study",
            labels={"table": "cases"},
        ),
    params:
        rows=[case_row(case) for case in CASES.values()] + [invalid_case_row(case) for case in INVALID_CASES],
    log:
        "results/logs/cases.log",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../scripts/cases.py"
