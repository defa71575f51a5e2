rule cases:
    output:
        table=report(
            "results/cases.csv",
            caption="../report/cases.rst",
            category="Study",
            labels={"table": "cases"},
        ),
    log:
        "results/logs/cases.log",
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        rows=[case_row(case) for case in CASES.values()] + [invalid_case_row(case) for case in INVALID_CASES],
    script:
        "../scripts/cases.py"
